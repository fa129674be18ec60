#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL: initdb in a temporary directory,
# the server listening on a Unix socket there only (no TCP port to collide with),
# YT_POSTGRES_URL exported for the command; the server is stopped and the
# directory removed afterwards, whatever happens. As root, PostgreSQL runs as the
# `postgres` user (it refuses root). Exits 77 (CTest: skipped) when PostgreSQL is
# not installed. Usage: with_postgres.sh COMMAND [ARG...]
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z $bin || ! -x $bin/initdb ]]; then
  echo "with_postgres: PostgreSQL is not installed (Debian: postgresql); skipping" >&2
  exit 77
fi
dir=$(mktemp -d /tmp/yt-postgres-XXXXXX)
chmod 755 "$dir"
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U yt --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: a test database need not survive a power cut, and it is much faster.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
  -o "-k $dir -c listen_addresses='' -c fsync=off -c max_connections=50" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
export YT_POSTGRES_URL="postgresql://yt@/postgres?host=$dir"
echo "with_postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $dir" >&2
set +e
"$@"
status=$?
set -e
exit $status
