#!/usr/bin/env bash
# Servers the tests run for real, installed when missing: ngircd (Debian's package) for the
# IRC bridge, PostgreSQL (Debian's `postgresql`) for the store's second backend. The tests
# start and stop their own instances on free loopback ports (PostgreSQL: a throwaway
# cluster, test/helpers/pg-cluster.ts); a service the package starts is not used.
set -euo pipefail
missing=()
if ! command -v ngircd >/dev/null 2>&1 && [ ! -x /usr/sbin/ngircd ]; then missing+=(ngircd); fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "installing ${missing[*]} for the tests" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian may start the packaged services; the tests do not use them. Stop those services
  # only, through their own init, never processes by name: another may be someone's.
  for service in "${missing[@]}"; do
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
      systemctl stop "$service" || true
    elif [ -x "/etc/init.d/$service" ]; then
      "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
  done
  exit 0
fi
echo "the tests need ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) and run npm test again" >&2
exit 1
