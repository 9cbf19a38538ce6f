#!/bin/sh
# Sidecar: makes this pod a member of the replica set, then idles.
#
# mongodb-replicaset.js does one idempotent step at a time (initiate a brand-new set, or ask
# the primary to add this member, or create the application user) and exits 0 only when this
# member is in the set and the application user exists. It is retried until then, on every
# start of the pod, so first starts, restarts and scale-ups go through the same path.
set -u
script=${1:?usage: mongodb-replicaset.sh SCRIPT.js}

stop() {
	exit 0
}
trap stop TERM INT

until mongosh --nodb --quiet --norc "$script"; do
	sleep 5 &
	wait $!
done
echo "replica set member ready; idling"
while :; do
	sleep 3600 &
	wait $!
done
