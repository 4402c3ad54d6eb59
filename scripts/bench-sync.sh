#!/usr/bin/env bash
# Google Calendar sync benchmark (docs/benchmarks.md): against the fake Google
# of the integration tests, a calendar of 5,000 events synced in full, then
# five incremental syncs of 50 changes each; prints the time and the SQL
# statements of each. RUNS (default 3) repetitions. Debug build (the test
# profile), so the times are an upper bound.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"
need_rust_tools
pg_start
export DATABASE_URL SQLX_OFFLINE=true
runs="${RUNS:-3}"
for ((run = 1; run <= runs; run++)); do
  log "run ${run} of ${runs}"
  cargo test -q -p server --test app -- --ignored --nocapture --exact google_sync::bench_google_sync_5000_events 2>&1 |
    grep '^BENCH'
done
