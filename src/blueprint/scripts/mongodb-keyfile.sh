#!/bin/sh
# Init container: copies the replica-set keyFile from the Secret volume into an emptyDir with
# mode 0400 and this user as owner. mongod refuses a keyFile readable by group or others, and a
# Secret volume's files belong to root, so the Secret file cannot be used directly.
set -eu
src=${1:?usage: mongodb-keyfile.sh SOURCE DESTINATION}
dst=${2:?usage: mongodb-keyfile.sh SOURCE DESTINATION}

umask 077
rm -f "$dst.tmp"
cp "$src" "$dst.tmp"
chmod 0400 "$dst.tmp"
# Replaces a keyFile left by an earlier run of this init container (mv needs no write
# permission on the 0400 file itself).
mv -f "$dst.tmp" "$dst"
echo "keyFile ready at $dst"
