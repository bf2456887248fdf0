#!/usr/bin/env bash
# Servers the tests run for real, installed when missing: ngircd (Debian's package) for the
# IRC bridge. The tests start and stop their own instances on free loopback ports.
set -euo pipefail
if command -v ngircd >/dev/null 2>&1 || [ -x /usr/sbin/ngircd ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "installing ngircd for the IRC bridge's tests" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends ngircd >/dev/null
  # Debian may start the packaged service; the tests do not use it. Stop that service only,
  # through its own init (its pid file), never processes by name: another ngircd may be someone's.
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet ngircd 2>/dev/null; then
    systemctl stop ngircd || true
  elif [ -x /etc/init.d/ngircd ]; then
    /etc/init.d/ngircd stop >/dev/null 2>&1 || true
  fi
  exit 0
fi
echo "the IRC bridge's tests need ngircd: install it (Debian: apt-get install ngircd) and run npm test again" >&2
exit 1
