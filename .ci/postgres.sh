#!/usr/bin/env bash
# Makes PostgreSQL answer at 127.0.0.1:5432 (trust auth, database "test") for the suites
# that must run on it: starts the installed cluster if it is down, installs Debian's
# postgresql on a machine that has none. Fails loudly when it cannot.
set -euo pipefail

answering() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "Installing postgresql from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /etc/postgresql | sort -V | tail -1)"
hba="/etc/postgresql/$version/main/pg_hba.conf"
# The tests connect as postgres without a password, over the socket and over loopback.
if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
  sed -i '/^\(local\|host\)/d' "$hba"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' >>"$hba"
  answering && pg_ctlcluster --skip-systemctl-redirect "$version" main reload
fi

if ! answering; then
  echo "Starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do answering && break; sleep 1; done
fi
answering || { echo "PostgreSQL does not answer at 127.0.0.1:5432" >&2; exit 1; }

psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test' >/dev/null
echo "PostgreSQL $version answers at 127.0.0.1:5432"
