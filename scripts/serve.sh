#!/usr/bin/env bash
# `make serve`: gunicorn with production settings on one machine (exam days).
# Its workers must count sign-in attempts together (production refuses per-process counts
# with several workers): RATELIMIT_STORAGE_URI when given, else a redis-server of its own on
# a unix socket under instance/ (no port opened), stopped when the server stops.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p instance
if [ -z "${RATELIMIT_STORAGE_URI:-}" ]; then
  socket="$PWD/instance/redis.sock"
  pidfile="$PWD/instance/redis.pid"
  redis-server --port 0 --unixsocket "$socket" --unixsocketperm 700 --save '' \
    --appendonly no --daemonize yes --pidfile "$pidfile" --logfile "$PWD/instance/redis.log"
  trap 'kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do [ -S "$socket" ] && break; sleep 0.1; done  # its start, ~10 ms
  [ -S "$socket" ] || { echo "redis-server did not start: see instance/redis.log" >&2; exit 1; }
  export RATELIMIT_STORAGE_URI="redis+unix://$socket"
fi
EXAM_ENV=production .venv/bin/gunicorn --config gunicorn.conf.py --bind "${HOST:-127.0.0.1}:${PORT:-5000}" wsgi:app
