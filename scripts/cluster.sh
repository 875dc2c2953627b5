#!/usr/bin/env bash
# A local cluster on loopback, as docs/deployment.md describes it for several servers:
# PostgreSQL, Redis, two gunicorn nodes of the app (production settings), an RQ worker
# (`flask jobs work`) and nginx in front (deploy/nginx/exam.conf.template).
#   scripts/cluster.sh start   # prints the addresses; writes $CLUSTER_DIR/cluster.env
#   scripts/cluster.sh stop    # stops everything and removes $CLUSTER_DIR
# CLUSTER_DIR (default /tmp/exam-cluster), CLUSTER_WORKERS (gunicorn workers per node, 2),
# CLUSTER_DURABLE=1 (PostgreSQL with fsync, for benchmarks; off by default: a test cluster).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${CLUSTER_DIR:-/tmp/exam-cluster}
BIN="$ROOT/.venv/bin"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# Wait until a URL answers 200 (each try bounded; 60 tries, a quarter second apart).
wait_for() {
  for _ in $(seq 240); do
    python3 - "$1" <<'PY' && return 0
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=1).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
    sleep 0.25
  done
  echo "$1 did not answer; logs in $DIR" >&2
  return 1
}

stop() {
  [ -d "$DIR" ] || { echo "No cluster in $DIR"; return 0; }
  [ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null || true
  # gunicorn's quick shutdown (QUIT): a test cluster has no request worth waiting for.
  for name in node-a node-b; do
    [ -f "$DIR/$name.pid" ] && kill -QUIT "$(cat "$DIR/$name.pid")" 2>/dev/null || true
  done
  for name in worker redis; do
    [ -f "$DIR/$name.pid" ] && kill "$(cat "$DIR/$name.pid")" 2>/dev/null || true
  done
  # Each gone within 10 s or killed; then the database.
  for name in node-a node-b worker redis nginx; do
    if [ -f "$DIR/$name.pid" ]; then
      pid=$(cat "$DIR/$name.pid")
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  [ -d "$DIR/pg" ] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
  echo "Cluster stopped."
}

start() {
  local missing=""
  [ -x "${PG_BIN:-}/initdb" ] || missing="$missing postgresql"
  command -v redis-server >/dev/null || missing="$missing redis-server"
  [ -x /usr/sbin/nginx ] || missing="$missing nginx"
  [ -x "$BIN/gunicorn" ] && [ -x "$BIN/rq" ] || missing="$missing (.venv: make test or make db)"
  if [ -n "$missing" ]; then
    echo "Missing:$missing. Install them with: make system-deps WITH_TEST_DEPS=1" >&2
    exit 1
  fi
  [ -e "$DIR" ] && { echo "$DIR exists: a cluster runs? scripts/cluster.sh stop" >&2; exit 1; }
  mkdir -p "$DIR/shared/uploads" "$DIR/shared/documents" "$DIR/nginx"
  trap 'echo "Start failed: stopping what started." >&2; stop' ERR

  local pg_port redis_port a_port b_port web_port user fsync=off
  pg_port=$(free_port); redis_port=$(free_port); a_port=$(free_port); b_port=$(free_port)
  web_port=$(free_port)
  user=$( [ "$(id -u)" = 0 ] && echo postgres || id -un )
  [ -n "${CLUSTER_DURABLE:-}" ] && fsync=on

  # PostgreSQL (as scripts/with-postgres.sh: initdb refuses root, the cluster is postgres's).
  mkdir -p "$DIR/pg" && [ "$(id -u)" = 0 ] && chown postgres "$DIR/pg"
  as_pg "$PG_BIN/initdb" -D "$DIR/pg" -U "$user" --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -w -l "$DIR/pg/server.log" \
    -o "-p $pg_port -k $DIR/pg -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_connections=100" start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U "$user" exam

  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"

  (umask 077 && python3 -c "import secrets; print(secrets.token_urlsafe(48))" > "$DIR/secret_key")
  cat > "$DIR/cluster.env" <<ENV
CLUSTER_DIR=$DIR
EXAM_ENV=production
DATABASE_URL=postgresql+psycopg://$user@127.0.0.1:$pg_port/exam
REDIS_URL=redis://127.0.0.1:$redis_port/1
RATELIMIT_STORAGE_URI=redis://127.0.0.1:$redis_port/0
PROXY_COUNT=1
SECRET_KEY_FILE=$DIR/secret_key
SESSION_COOKIE_SECURE=0
UPLOAD_DIR=$DIR/shared/uploads
DOCUMENTS_DIR=$DIR/shared/documents
AUDIT_ANCHOR_FILE=$DIR/shared/audit-anchors.txt
GUNICORN_WORKERS=${CLUSTER_WORKERS:-2}
NODE_A_URL=http://127.0.0.1:$a_port
NODE_B_URL=http://127.0.0.1:$b_port
NGINX_URL=http://127.0.0.1:$web_port
ENV
  set -a; . "$DIR/cluster.env"; set +a
  cd "$ROOT"
  "$BIN/flask" db upgrade >"$DIR/migrate.log" 2>&1

  local name port
  for name in a b; do
    port=$([ $name = a ] && echo "$a_port" || echo "$b_port")
    "$BIN/gunicorn" --config gunicorn.conf.py --bind "127.0.0.1:$port" --daemon \
      --pid "$DIR/node-$name.pid" --control-socket "$DIR/node-$name.ctl" \
      --error-logfile "$DIR/node-$name.log" \
      --access-logfile "$DIR/node-$name.access.log" wsgi:app
  done
  nohup "$BIN/flask" jobs work >"$DIR/worker.log" 2>&1 &
  echo $! > "$DIR/worker.pid"

  sed -e "s|@UPSTREAM_SERVERS@|server 127.0.0.1:$a_port max_fails=1 fail_timeout=5s; server 127.0.0.1:$b_port max_fails=1 fail_timeout=5s;|" \
      -e "s|@LISTEN@|127.0.0.1:$web_port|" -e "s|@STATIC_ROOT@|$ROOT/static/|" \
      deploy/nginx/exam.conf.template > "$DIR/nginx/exam.conf"
  cat > "$DIR/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    # Which node answered each request, and the first node when nginx sent it again to the
    # next ("A, B" and "502, 200"): tests/cluster reads it.
    log_format upstreams '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                         'upstream="\$upstream_addr" upstream_status="\$upstream_status"';
    access_log $DIR/nginx/access.log upstreams;
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    include $DIR/nginx/exam.conf;
}
NGINX
  /usr/sbin/nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log"

  wait_for "$NODE_A_URL/exam-clock"
  wait_for "$NODE_B_URL/exam-clock"
  wait_for "$NGINX_URL/exam-clock"
  trap - ERR
  echo "Cluster up in $DIR (settings: $DIR/cluster.env):"
  echo "  nginx   $NGINX_URL"
  echo "  node A  $NODE_A_URL    node B  $NODE_B_URL"
  echo "  $DATABASE_URL    $REDIS_URL    worker: flask jobs work"
  echo "Stop with: make cluster-stop"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
