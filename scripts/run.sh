#!/usr/bin/env bash
# Install whatever is missing, build BuildOS (release) and run it:
# PostgreSQL (project-local unless DATABASE_URL is set), the server and the
# worker. Ctrl-C stops everything this script started.
#
# Environment: see .env.example (a .env file is loaded if present; variables
# already set in the environment win). PORT defaults to 3000.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

server_pid=""
worker_pid=""

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "${server_pid}${worker_pid}" ]; then
    log "Stopping BuildOS"
    stop_pid "$worker_pid" "$server_pid"
  fi
  pg_stop_if_started
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "Checking prerequisites"
./scripts/setup.sh

load_dotenv .env
pg_start

log "Building BuildOS (release)"
# Queries are checked against the committed .sqlx cache, not the database
# (which the server migrates only when it starts; on a new machine it is empty).
export SQLX_OFFLINE=true
cargo leptos build --release --split
# cargo-leptos builds only the server binary; the worker shares its release build.
cargo build --release -p worker

bin_dir="$(target_dir)/release"
for bin in server worker; do
  [ -x "${bin_dir}/${bin}" ] || die "${bin_dir}/${bin} not found after the build"
done

export PORT="${PORT:-3000}"
export DATABASE_URL
export LEPTOS_SITE_ROOT="${BUILDOS_ROOT}/target/site"
export LEPTOS_SITE_PKG_DIR="pkg"
export LEPTOS_OUTPUT_NAME="buildos"
export LEPTOS_SITE_ADDR="127.0.0.1:${PORT}"
export LEPTOS_ENV="PROD"

if port_in_use "$PORT"; then
  die "port ${PORT} is already in use; set PORT to a free port"
fi

# The server applies the database migrations at startup, so the worker only
# starts once the server is healthy.
log "Starting server on port ${PORT}"
"${bin_dir}/server" &
server_pid=$!
wait_healthy "http://127.0.0.1:${PORT}/healthz" "$server_pid" 60 ||
  die "the server did not become healthy"

log "Starting worker"
"${bin_dir}/worker" &
worker_pid=$!

log "BuildOS is running at ${PUBLIC_BASE_URL:-http://127.0.0.1:${PORT}} (Ctrl-C to stop)"

# Return when either process exits (or on Ctrl-C); cleanup stops the other.
rc=0
wait -n "$server_pid" "$worker_pid" || rc=$?
log "A BuildOS process exited (status ${rc}); shutting down"
exit "$rc"
