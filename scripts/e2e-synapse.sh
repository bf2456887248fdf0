#!/usr/bin/env bash
# The end-to-end tier on a real Synapse 1.94: builds (or reuses the cached build of) and
# starts Synapse from ../shared/synapse in a fresh home, runs `npm run test:e2e` against
# it, and stops it whatever happens.
#
# Environment (all optional):
#   SYNAPSE_BUILD_CACHE       the build cache, kept outside the clone (default ~/.cache/synapse-1.94-build)
#   BRIDGEKIT_SYNAPSE_DIR     the shared/synapse folder (default: the nearest ../shared/synapse)
#   BRIDGEKIT_E2E_SYNAPSE_PORTS  ports to try for Synapse, first free wins (default 8450-8459)
#   BRIDGEKIT_E2E_KEEP=1      keep the Synapse home (database, homeserver.log, bridge logs) afterwards
# Extra arguments go to mocha, e.g. `bash scripts/e2e-synapse.sh --grep echo`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)

find_synapse_dir() {
  local d
  for d in "$ROOT/../shared/synapse" "$ROOT/../../shared/synapse" "$ROOT/../../../shared/synapse"; do
    if [ -f "$d/setup.sh" ]; then (cd "$d" && pwd -P); return 0; fi
  done
  return 1
}
SYN=${BRIDGEKIT_SYNAPSE_DIR:-$(find_synapse_dir)} || { echo "e2e: no ../shared/synapse found (set BRIDGEKIT_SYNAPSE_DIR)" >&2; exit 2; }
export SYNAPSE_BUILD_CACHE=${SYNAPSE_BUILD_CACHE:-$HOME/.cache/synapse-1.94-build}
mkdir -p "$SYNAPSE_BUILD_CACHE"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bridgekit-e2e.XXXXXX")
HS_HOME=$WORK/hs
SCRIPTS=$SYN
cleanup() {
  local rc=$?
  bash "$SCRIPTS/stop.sh" "$HS_HOME" >/dev/null 2>&1 || true
  if [ "${BRIDGEKIT_E2E_KEEP:-0}" = 1 ]; then
    echo "e2e: kept $WORK (Synapse home hs/, bridge logs logs/)" >&2
  else
    if [ $rc -ne 0 ] && [ -f "$HS_HOME/homeserver.log" ]; then
      echo "e2e: failed (rc $rc); last lines of homeserver.log:" >&2
      tail -40 "$HS_HOME/homeserver.log" >&2 || true
    fi
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The shared configure.sh of this machine checks an attribute Synapse 1.94 names
# `msc3202_device_masquerading_enabled` (the config key is right): setup.sh fails after
# writing a good config. A patched copy of the scripts is used until it is fixed; the
# build cache key does not cover configure.sh, so the cached build is still used.
#
# The tier also turns on MSC3967 (`msc3967_enabled`: no user-interactive auth for a user's
# first cross-signing keys), which the bot's cross-signing needs (docs/encryption.md): the
# copy's configure.sh writes it under experimental_features.
SCRIPTS=$WORK/synapse-scripts
mkdir -p "$SCRIPTS"
cp "$SYN"/* "$SCRIPTS"/
chmod u+w "$SCRIPTS"/*
sed -i 's/e\.msc3202_device_masquerading)/e.msc3202_device_masquerading_enabled)/' "$SCRIPTS/configure.sh"
grep -q 'msc3967_enabled' "$SCRIPTS/configure.sh" \
  || sed -i 's/^  msc3202_device_masquerading: true$/  msc3202_device_masquerading: true\n  # MSC3967: the first cross-signing keys without user-interactive auth (appservice bots)\n  msc3967_enabled: true/' "$SCRIPTS/configure.sh"
grep -q 'msc3967_enabled: true' "$SCRIPTS/configure.sh" || { echo "e2e: could not add msc3967_enabled to configure.sh" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for p in $(eval echo "{${BRIDGEKIT_E2E_SYNAPSE_PORTS:-8450..8459}}"); do
  if port_free "$p"; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "e2e: no free port for Synapse in ${BRIDGEKIT_E2E_SYNAPSE_PORTS:-8450..8459}" >&2; exit 1; }

T0=$(date +%s)
echo "e2e: setting up Synapse 1.94 on 127.0.0.1:$PORT (home $HS_HOME, build cache $SYNAPSE_BUILD_CACHE)"
if ! bash "$SCRIPTS/setup.sh" "$HS_HOME" "$PORT" >"$WORK/setup.log" 2>&1; then
  echo "e2e: Synapse setup failed:" >&2
  tail -40 "$WORK/setup.log" >&2
  exit 1
fi
echo "e2e: Synapse up in $(( $(date +%s) - T0 )) s"

export BRIDGEKIT_E2E_HS_URL=http://127.0.0.1:$PORT
BRIDGEKIT_E2E_ADMIN_TOKEN=$(cat "$HS_HOME/admin.token")
export BRIDGEKIT_E2E_ADMIN_TOKEN
export BRIDGEKIT_E2E_SYNAPSE_HOME=$HS_HOME
export BRIDGEKIT_E2E_SYNAPSE_SCRIPTS=$SCRIPTS
export BRIDGEKIT_E2E_LOG_DIR=${BRIDGEKIT_E2E_LOG_DIR:-$WORK/logs}
unset BRIDGEKIT_E2E_REGISTRATIONS_DIR BRIDGEKIT_E2E_RESTART_CMD BRIDGEKIT_E2E_PORT_BASE

T1=$(date +%s)
npm run test:e2e -- "$@"
echo "e2e: tier passed in $(( $(date +%s) - T1 )) s (Synapse setup $(( T1 - T0 )) s)"
