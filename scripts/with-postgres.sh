#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL cluster on a free local port:
#   scripts/with-postgres.sh pytest -q
# initdb refuses root, so the cluster belongs to the `postgres` user when we are root.
# The cluster is stopped and removed whatever happens.
set -euo pipefail

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL is not installed (make system-deps WITH_TEST_DEPS=1)"; exit 1; }

DATA_DIR=$(mktemp -d /tmp/exam-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PG_USER=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )

[ "$(id -u)" = 0 ] && chown postgres "$DATA_DIR"
cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$DATA_DIR" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -w -l "$DATA_DIR/server.log" \
  -o "-p $PORT -k $DATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" exam_test

export TEST_DATABASE_URL="postgresql+psycopg://$PG_USER@127.0.0.1:$PORT/exam_test"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on port $PORT"
"$@"
