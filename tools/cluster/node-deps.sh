#!/usr/bin/env bash
# Installs the Debian packages the real test node needs, when any is missing:
#   nftables            the node's guard table and kube-proxy (nftables mode)
#   iptables            only so node-down.sh can check for kubelet canary chains
#   iproute2            the bridge, addresses and routes
#   mmdebstrap, umoci   the local images (Debian root filesystems -> OCI layouts)
#   libseccomp-dev, pkg-config, gcc   runc is built with cgo + libseccomp
#   jq, openssl, curl   image index edits, node certificates, health checks
#   npm                 installs parse-server and Ghost (pinned by lock files) into their images
# Needs root (apt-get); CI runs as root.
set -euo pipefail
need=()
for cmd_pkg in nft:nftables iptables:iptables ip:iproute2 mmdebstrap:mmdebstrap umoci:umoci \
	pkg-config:pkg-config gcc:gcc jq:jq openssl:openssl curl:curl npm:npm; do
	command -v "${cmd_pkg%%:*}" >/dev/null 2>&1 || need+=("${cmd_pkg#*:}")
done
[[ -f /usr/include/seccomp.h ]] || need+=(libseccomp-dev)
if ((${#need[@]} == 0)); then
	echo "real-node packages present"
	exit 0
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
