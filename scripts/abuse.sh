#!/usr/bin/env bash
# The abuse script (issue 13): a release server on 127.0.0.1, attacked as an
# attacker would, within fixed bounds, from loopback only. Addresses are told
# by X-Forwarded-For, which this server believes from 127.0.0.1 alone
# (TRUSTED_PROXIES=127.0.0.1/32), as behind a reverse proxy. Prints a table of
# what got through; the figures are in docs/benchmarks.md.
#
#   ./scripts/abuse.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

: "${BENCH_PORT:=3314}"
PORT="${BENCH_PORT}"

bench_begin
log "release build"
SQLX_OFFLINE=true cargo leptos build --release --split >&2
pg_drop_db buildos_abuse
url="$(pg_create_db buildos_abuse)"
outbox="$(mktemp -d)"
# No model behind this address: a request that reaches it fails at once,
# so every call that got past the quota shows.
DATABASE_URL="$url" PORT="$PORT" LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
  TRUSTED_PROXIES=127.0.0.1/32 OUTBOX_DIR="$outbox" \
  OPENAI_API_KEY=abuse-test OPENAI_BASE_URL="http://127.0.0.1:9/v1" OPENAI_TIMEOUT_SECS=2 \
  LLM_CALLS_PER_DAY=3 LLM_CALLS_PER_MINUTE=100 \
  "$(target_dir)/release/server" >/dev/null 2>&1 &
server_pid=$!
wait_healthy "http://127.0.0.1:${PORT}/healthz" "$server_pid" 60
DATABASE_URL="$url" python3 scripts/abuse.py "http://127.0.0.1:${PORT}" "$outbox"
rm -rf "$outbox"
