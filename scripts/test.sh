#!/usr/bin/env bash
# Install whatever is missing and run every test: formatting, the sqlx offline
# query cache, clippy (server side and wasm side), unit + integration tests and
# the Playwright end-to-end tests against a freshly built server.
#
# Environment:
#   DATABASE_URL  use this PostgreSQL (its role needs CREATEDB) instead of the
#                 project-local cluster
#   E2E_PORT      port of the end-to-end server (default 3311)
#   E2E_ARGS      more arguments for `playwright test` (e.g. a file name to run only it)
#   SKIP          comma-separated steps to skip, e.g. SKIP=e2e,clippy
#                 (steps: fmt, sqlx, clippy, test, e2e)
#   CI=true       build into ~/.cache/buildos/target unless CARGO_TARGET_DIR is set
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

started_at=$SECONDS
e2e_server_pid=""
e2e_worker_pid=""
e2e_fake_pids=()
ran=()
skipped=()

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$e2e_server_pid" ]; then
    stop_pid "$e2e_server_pid"
  fi
  for pid in "${e2e_fake_pids[@]}"; do
    stop_pid "$pid"
  done
  if [ -n "$e2e_worker_pid" ]; then
    stop_pid "$e2e_worker_pid"
  fi
  pg_stop_if_started
  if [ "$rc" -ne 0 ]; then
    log "FAILED (exit status ${rc}) after $((SECONDS - started_at)) s"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# skip STEP: true when STEP is listed in $SKIP (and records it).
skip() {
  if [[ ",${SKIP:-}," == *",$1,"* ]]; then
    log "Skipping $1 (SKIP=${SKIP})"
    skipped+=("$1")
    return 0
  fi
  ran+=("$1")
  return 1
}

# --- a. tools -------------------------------------------------------------
log "Checking prerequisites"
./scripts/setup.sh

# --- b. target directory --------------------------------------------------
# On CI, keep build artefacts outside the clone so that every run reuses them.
# (cargo-leptos still writes the site to ./target/site.)
if [ "${CI:-}" = "true" ] && [ -z "${CARGO_TARGET_DIR:-}" ]; then
  export CARGO_TARGET_DIR="${HOME}/.cache/buildos/target"
  # Incremental state is most of a target directory's size and helps little
  # between CI runs of different commits; without it the shared cache stays small.
  export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
  mkdir -p "$CARGO_TARGET_DIR"
  log "CI: CARGO_TARGET_DIR=${CARGO_TARGET_DIR}"
fi

# --- c. formatting --------------------------------------------------------
if ! skip fmt; then
  log "cargo fmt --check"
  cargo fmt --all -- --check
fi

# --- d. database ----------------------------------------------------------
pg_start
export DATABASE_URL
# The project-local cluster trusts nobody: without its password, even the
# superuser is turned away.
if [ "${BUILDOS_PG_LOCAL}" = 1 ] &&
  PGPASSWORD='' PGPASSFILE=/dev/null "$(pg_bindir)/psql" -X -w -h 127.0.0.1 -p "$(pg_port)" -U postgres -d postgres \
    -c 'select 1' >/dev/null 2>&1; then
  die "the local PostgreSQL lets its superuser in without a password"
fi

# --- e. sqlx offline query cache (.sqlx) ----------------------------------
# Checks that the committed .sqlx query cache matches the queries in the code,
# so that every SQLX_OFFLINE=true build below (and on machines without a
# database) compiles the same queries.
# `cargo sqlx prepare` runs its own `cargo check` with SQLX_OFFLINE=false and
# this DATABASE_URL, so every crate using sqlx macros that gets (re)compiled
# there -- dependencies such as apalis-postgres included -- checks its queries
# against this database: it must hold all their tables.
check_sqlx_offline() {
  log "sqlx: a database with the app's and apalis-postgres's migrations"
  local url
  url="$(pg_sqlx_check_db)"
  # Build the dependencies first, offline: `prepare` then recompiles only our
  # crates. (A dependency compiled inside it, such as apalis-postgres, would
  # write its own queries into the cache being compared with ours.)
  log "sqlx: building the dependencies offline"
  SQLX_OFFLINE=true cargo check --all-targets -p domain -p app -p server -p worker --features app/ssr,domain/openapi,worker/test-hooks,worker/bench
  log "sqlx: checking the offline query cache"
  DATABASE_URL="$url" cargo sqlx prepare --workspace --check -- \
    --all-targets -p domain -p app -p server -p worker --features app/ssr,domain/openapi,worker/test-hooks,worker/bench
}
if ! skip sqlx; then
  check_sqlx_offline
fi

export SQLX_OFFLINE=true

# --- f. clippy ------------------------------------------------------------
# Never build server and frontend in one cargo invocation: feature
# unification would enable both `ssr` and `hydrate` in the shared `app` crate.
if ! skip clippy; then
  log "clippy: domain + app (ssr) + server + worker, with their tests"
  cargo clippy -p domain -p app -p server -p worker --all-targets --features app/ssr,domain/openapi,worker/test-hooks,worker/bench -- -D warnings
  log "clippy: frontend (wasm32)"
  cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
fi

# --- g. unit + integration tests ------------------------------------------
if ! skip test; then
  # The tests' Python: the reference MCP client (PyPI `mcp`), which the MCP
  # server's tests drive, and Prometheus's own parser (`prometheus_client`),
  # which reads /metrics; kept outside the clone, so CI installs them once.
  need_apt python3-venv
  test_venv="${BUILDOS_CACHE:-${HOME}/.cache/buildos}/test-python-1"
  if [ ! -x "${test_venv}/bin/python" ] || ! "${test_venv}/bin/python" -c 'import mcp, prometheus_client' 2>/dev/null; then
    log "Installing the tests' Python packages (PyPI mcp, prometheus_client) into ${test_venv}"
    rm -rf "$test_venv"
    /usr/bin/python3 -m venv "$test_venv"
    "${test_venv}/bin/pip" install --quiet 'mcp>=1.9,<2' 'prometheus_client>=0.20,<1'
  fi
  export TEST_PYTHON="${test_venv}/bin/python"
  # One feature set for every step, so nothing is rebuilt between them.
  log "cargo test: domain + app (ssr)"
  cargo test -p domain -p app --features app/ssr,domain/openapi
  log "offline brain-dump engine: corpus scores"
  cargo test -p domain --features server,openapi --lib corpus_scores -- --nocapture --quiet 2>&1 | grep '^|'
  log "cargo test: server + worker"
  cargo test -p server -p worker --features worker/test-hooks
  # The one test that restarts PostgreSQL runs alone, after the others, and
  # only against our own cluster (never a DATABASE_URL someone else runs).
  if [ "${BUILDOS_PG_LOCAL}" = 1 ]; then
    log "cargo test: the worker through a PostgreSQL restart"
    # (Same packages as above, so nothing is rebuilt with other features.)
    BUILDOS_PG_RESTART_CMD="$(pg_restart_cmd)" cargo test -p server -p worker --features worker/test-hooks -- --ignored --test-threads=1
  else
    log "skipping the PostgreSQL restart test: DATABASE_URL is not the project's own PostgreSQL"
  fi
fi

# start_fake NAME PORT HEALTH_PATH [VAR=VALUE...]: end2end/fake-NAME.mjs on
# 127.0.0.1:PORT (it reads FAKE_NAME_PORT), with those variables, once
# HEALTH_PATH answers; stopped with the rest (e2e_fake_pids).
start_fake() {
  local name="$1" port="$2" health="$3"
  shift 3
  local upper="${name^^}"
  if port_in_use "$port"; then
    die "port ${port} is already in use; set E2E_${upper}_PORT to a free port"
  fi
  env "$@" "FAKE_${upper}_PORT=${port}" node "${BUILDOS_ROOT}/end2end/fake-${name}.mjs" \
    >"${BUILDOS_ROOT}/.data/e2e-${name}.log" 2>&1 &
  local pid=$!
  e2e_fake_pids+=("$pid")
  wait_healthy "http://127.0.0.1:${port}${health}" "$pid" 20 || die "the fake ${name} service did not start"
}

# --- h. end-to-end --------------------------------------------------------
run_e2e() {
  local port="${E2E_PORT:-3311}"
  local server_log="${BUILDOS_ROOT}/.data/e2e-server.log"

  log "e2e: cargo leptos build (debug), and the worker"
  cargo leptos build --split
  cargo build -p worker

  local server_bin
  server_bin="$(target_dir)/debug/server"
  [ -x "$server_bin" ] || die "${server_bin} not found after the build"

  log "e2e: fresh database buildos_e2e"
  pg_drop_db buildos_e2e
  local e2e_url
  e2e_url="$(pg_create_db buildos_e2e)"

  if port_in_use "$port"; then
    die "port ${port} is already in use; set E2E_PORT to a free port"
  fi

  # A fake Google (OpenID Connect and Calendar API) on loopback, so that
  # connecting Google Calendar is tested end to end with no outside host.
  local google_port="${E2E_GOOGLE_PORT:-3312}"
  start_fake google "$google_port" /.well-known/openid-configuration
  # A fake OpenAI transcription service, for voice capture (the brain dump
  # itself stays on the offline parser: no OPENAI_API_KEY).
  local openai_port="${E2E_OPENAI_PORT:-3313}"
  start_fake openai "$openai_port" /test/transcriptions
  # A fake Stripe (API, hosted Checkout and portal pages that send signed
  # webhook events to this server), so subscribing is tested end to end.
  local stripe_port="${E2E_STRIPE_PORT:-3314}"
  local stripe_env=(
    ENABLE_STRIPE=true
    STRIPE_SECRET_KEY=sk_test_e2e
    STRIPE_WEBHOOK_SECRET=whsec_e2e
    STRIPE_PRICE_MONTHLY=price_e2e_monthly
    STRIPE_PRICE_YEARLY=price_e2e_yearly
    STRIPE_API_BASE="http://127.0.0.1:${stripe_port}"
  )
  start_fake stripe "$stripe_port" /health "${stripe_env[@]}" STRIPE_WEBHOOK_URL="http://127.0.0.1:${port}/webhooks/stripe"
  local google_env=(
    PUBLIC_GOOGLE_CLIENT_ID=e2e.apps.googleusercontent.com
    GOOGLE_CLIENT_SECRET=e2e-secret
    GOOGLE_ISSUER="http://127.0.0.1:${google_port}"
    GOOGLE_CALENDAR_API="http://127.0.0.1:${google_port}/calendar/v3"
    # A key for this throwaway database only.
    ENCRYPTION_KEY=ZTJlLWVuY3J5cHRpb24ta2V5LWZvci10ZXN0cy1vbmw=
  )

  log "e2e: starting the server on port ${port} (log: ${server_log})"
  mkdir -p "$(dirname "$server_log")"
  # Every account here comes from 127.0.0.1: the sign-up limits are raised.
  # Emails (address confirmations, reset links) go to the outbox the tests read.
  local outbox="${BUILDOS_ROOT}/.data/e2e-outbox"
  rm -rf "$outbox"
  env "${google_env[@]}" "${stripe_env[@]}" \
    ADMIN_EMAILS="queue-admin@example.com" \
    TRANSCRIBE_API_KEY=e2e-transcribe-key \
    TRANSCRIBE_BASE_URL="http://127.0.0.1:${openai_port}/v1" \
    OUTBOX_DIR="$outbox" \
    SIGNUPS_PER_ADDRESS_PER_HOUR=100000 \
    SIGNUPS_PER_HOUR=100000 \
    DATABASE_URL="$e2e_url" \
    PORT="$port" \
    LEPTOS_SITE_ROOT="${BUILDOS_ROOT}/target/site" \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_OUTPUT_NAME=buildos \
    LEPTOS_SITE_ADDR="127.0.0.1:${port}" \
    LEPTOS_ENV=DEV \
    "$server_bin" >"$server_log" 2>&1 &
  e2e_server_pid=$!

  if ! wait_healthy "http://127.0.0.1:${port}/healthz" "$e2e_server_pid" 60; then
    tail -n 40 "$server_log" >&2 || true
    die "the e2e server did not become healthy"
  fi

  local worker_log="${BUILDOS_ROOT}/.data/e2e-worker.log"
  log "e2e: starting the worker (log: ${worker_log}; email and SMS to .data/e2e-outbox)"
  env "${google_env[@]}" "${stripe_env[@]}" \
    DATABASE_URL="$e2e_url" \
    OUTBOX_DIR="$outbox" \
    PUBLIC_BASE_URL="http://127.0.0.1:${port}" \
    "$(target_dir)/debug/worker" >"$worker_log" 2>&1 &
  e2e_worker_pid=$!

  log "e2e: playwright"
  local rc=0
  BASE_URL="http://127.0.0.1:${port}" OUTBOX_DIR="$outbox" FAKE_GOOGLE="http://127.0.0.1:${google_port}" \
    FAKE_OPENAI="http://127.0.0.1:${openai_port}" FAKE_STRIPE="http://127.0.0.1:${stripe_port}" \
    npx --no-install playwright test -c end2end/playwright.config.ts ${E2E_ARGS:-} || rc=$?

  stop_pid "$e2e_server_pid"
  e2e_server_pid=""
  stop_pid "$e2e_worker_pid"
  e2e_worker_pid=""
  for pid in "${e2e_fake_pids[@]}"; do
    stop_pid "$pid"
  done
  e2e_fake_pids=()
  if [ "$rc" -ne 0 ]; then
    log "e2e: last lines of the server log (${server_log}):"
    tail -n 40 "$server_log" >&2 || true
    log "e2e: last lines of the worker log (${worker_log}):"
    tail -n 20 "$worker_log" >&2 || true
    die "playwright failed (exit status ${rc})"
  fi
}
if ! skip e2e; then
  run_e2e
fi

# --- i. summary -----------------------------------------------------------
elapsed=$((SECONDS - started_at))
summary="All tests passed in $((elapsed / 60))m$((elapsed % 60))s: ${ran[*]:-nothing}"
if [ "${#skipped[@]}" -gt 0 ]; then
  summary+=" (skipped: ${skipped[*]})"
fi
log "$summary"
