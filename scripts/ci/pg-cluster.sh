#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster with pgvector, for tests on this machine only (trust auth, loopback only).
#
#   scripts/ci/pg-cluster.sh start   # (re)creates it, prints its DATABASE_URL on stdout (logs go to stderr)
#   scripts/ci/pg-cluster.sh url     # prints the DATABASE_URL of the running cluster
#   scripts/ci/pg-cluster.sh status  # exit 0 when it is running
#   scripts/ci/pg-cluster.sh stop    # stops it and removes its files
#
#   DATABASE_URL=$(scripts/ci/pg-cluster.sh start) npm test
#
# Environment: PG_PORT (first port tried, default 54329; the next free one is taken when it is busy),
# RADTRACK_PG_DIR (where the cluster lives; default /tmp/radtrack-pg-<hash of this checkout's path>, so two checkouts
# on one machine get two clusters), PG_MAJOR (default 15).
# `start` always begins from nothing: a cluster left by an earlier run (running or not) is stopped and removed.
set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
BIN=/usr/lib/postgresql/$PG_MAJOR/bin
root=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${RADTRACK_PG_DIR:-/tmp/radtrack-pg-$(printf '%s' "$root" | md5sum | cut -c1-8)}
DATA=$DIR/data
DB_NAME=radtrack

log() { echo "pg-cluster: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# Runs a command as the cluster's owner: postgres when we are root (initdb and postgres refuse root), else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

server_pid() {
  [ -f "$DATA/postmaster.pid" ] || return 1
  local pid
  pid=$(head -1 "$DATA/postmaster.pid")
  # A zombie (killed, never reaped by a container's init) answers kill -0 but is gone.
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] \
    && echo "$pid"
}

url() {
  [ -f "$DIR/port" ] || return 1
  echo "postgresql://postgres@127.0.0.1:$(cat "$DIR/port")/$DB_NAME"
}

stop() {
  local pid
  if pid=$(server_pid); then
    log "stopping the cluster in $DIR (pid $pid)"
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 20 stop >/dev/null 2>&1 || true
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -rf "$DIR"
}

start() {
  [ -x "$BIN/initdb" ] || die "PostgreSQL $PG_MAJOR is not installed: run scripts/ci/install-system-deps.sh"
  [ -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ] \
    || die "pgvector is not installed for PostgreSQL $PG_MAJOR: run scripts/ci/install-system-deps.sh"
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    die "there is no postgres user to own the cluster (the postgresql package creates it)"
  fi
  stop
  local port=${PG_PORT:-54329} tries=0
  while port_busy "$port"; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || die "no free port from ${PG_PORT:-54329} on"
    port=$((port + 1))
  done

  mkdir -p "$DIR"
  chmod 700 "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || {
      cat "$DIR/initdb.log" >&2
      die "initdb failed"
    }
  # Test settings: durability off (a crash loses a throw-away cluster, nothing else), room for many connections.
  cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 start >/dev/null; then
    cat "$DIR/server.log" >&2 || true
    die "the server did not start"
  fi
  echo "$port" >"$DIR/port"
  local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE $DB_NAME" >&2
  local version
  version=$("${psql[@]}" -d "$DB_NAME" -At \
    -c "CREATE EXTENSION IF NOT EXISTS vector" \
    -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'") || die "CREATE EXTENSION vector failed"
  [ -n "$version" ] || die "pgvector did not load"
  log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') with pgvector $version on 127.0.0.1:$port ($DIR)"
  url
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) server_pid >/dev/null && url || die "not running" ;;
  status) server_pid >/dev/null && url ;;
  *)
    echo "usage: $0 start|stop|url|status" >&2
    exit 2
    ;;
esac
