#!/usr/bin/env bash
# Every benchmark of issue 14 in one run, printed as markdown tables
# (docs/benchmarks.md records them):
#   1. the web server: release build, a seeded account with 200 tasks, then
#      wrk on loopback against /healthz and the dashboard in the same run,
#      with the server's memory sampled under load;
#   2. in Chromium: the time from pressing Process on a 5,000-character brain
#      dump to the first streamed event, the .wasm each page downloads, and a
#      first visit to interactive under Lighthouse's mobile throttling (real,
#      not simulated);
#   3. Lighthouse (mobile, simulated throttling) on the login, dashboard,
#      brain dump, review, project, brief and calendar pages;
#   4. the queue (scripts/bench-queue.sh): throughput, and enqueue-to-start at
#      100, 500, 1,000 and 2,000 jobs/s.
#
#   ./scripts/bench.sh            # CONNECTIONS=64 DURATION=20s by default
#   BROWSER=0 ./scripts/bench.sh  # the HTTP figures only
#   LIGHTHOUSE=0 QUEUE=0 ./scripts/bench.sh   # leave out parts 3 and 4
#   BUILD=0 ./scripts/bench.sh    # serve the release build already made
#                                 # (not after a debug build: see bench_server)
#   COMPARE="before=/path/to/server" ./scripts/bench.sh
#                                 # also another server binary, on the same
#                                 # database in the same run (rows per label)
#
# Build-time figures are measured separately (see docs/benchmarks.md).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

: "${CONNECTIONS:=64}" "${DURATION:=20s}" "${BENCH_PORT:=3312}"
PORT="${BENCH_PORT}" TASKS=200

bench_begin

bench_server buildos_bench "$PORT"
db_url="$url"

base="http://127.0.0.1:${PORT}"
api() { # api ENDPOINT FORM...: POST to a server function, print its answer
  local endpoint="$1"; shift
  local args=()
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  curl -fsS -b "$jar" -c "$jar" -X POST "${args[@]}" "${base}/api/${endpoint}"
}
call() { api "$@" >/dev/null; }

log "seeding one account with ${TASKS} tasks in 5 projects"
call signup email=bench@example.com "password=correct horse battery" display_name=Bench timezone=UTC
project_ids=()
for p in 1 2 3 4 5; do
  call create_project "name=Project ${p}" "context=Context of project ${p}"
done
mapfile -t project_ids < <(api list_projects | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
for i in $(seq 1 "$TASKS"); do
  pid="${project_ids[$((i % 5))]}"
  # due dates spread from 10 days ago to 30 days ahead; every 10th task done
  due="$(date -u -d "$(( (i % 41) - 10 )) days" +%F)"
  call create_task "project_id=${pid}" "title=Task number ${i} with a realistic title" "priority=$([ $((i % 7)) -eq 0 ] && echo high || echo medium)" "due_date=${due}"
done
cookie="$(awk '$6 == "buildos_session" { print "buildos_session=" $7 }' "$jar")"
[ -n "$cookie" ] || die "no session cookie after seeding"
rendered="$(curl -fsS -H "cookie: ${cookie}" -H 'accept: text/html' "${base}/" | grep -o 'data-task=' | wc -l)"
log "dashboard renders ${rendered} task rows"

sample_rss() { # print the peak RSS (kB) of the server while "$@" runs
  local peak=0 rss
  "$@" &
  local load=$!
  while kill -0 "$load" 2>/dev/null; do
    rss="$(awk '/VmRSS/ { print $2 }' "/proc/${server_pid}/status")"
    (( rss > peak )) && peak=$rss
    sleep 0.2
  done
  wait "$load"
  echo "$peak" >"${jar}.rss"
}

rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
pct() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ { print }' "$1"; }

# measure LABEL: /healthz, then the dashboard with the server's RSS sampled;
# one markdown row.
measure() {
  local label="$1"
  log "${label}: wrk /healthz (${CONNECTIONS} connections, ${DURATION})"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${base}/healthz" >"${jar}.healthz"
  log "${label}: wrk dashboard (${CONNECTIONS} connections, ${DURATION})"
  sample_rss wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "cookie: ${cookie}" -H 'accept: text/html' "${base}/" >"${jar}.dash"
  errors "${jar}.healthz" "${jar}.dash" >&2 || true
  local h d
  h="$(rps "${jar}.healthz")" d="$(rps "${jar}.dash")"
  echo "| ${label} | ${h} req/s (p99 $(pct "${jar}.healthz" 99%)) | ${d} req/s | $(pct "${jar}.dash" 50%) / $(pct "${jar}.dash" 99%) | $(awk -v a="$d" -v b="$h" 'BEGIN { printf "%.1f%%", 100 * a / b }') | $(( $(cat "${jar}.rss") / 1024 )) MB |" >>"${jar}.rows"
}
measure "this tree"
# Other binaries on the same database, one after the other.
for entry in ${COMPARE:-}; do
  stop_pid "$server_pid"
  DATABASE_URL="$db_url" PORT="$PORT" LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
    "${entry#*=}" >/dev/null 2>&1 &
  server_pid=$!
  wait_healthy "${base}/healthz" "$server_pid" 60
  measure "${entry%%=*}"
done

if [ "${BROWSER:-1}" = 0 ]; then
  echo "| server | /healthz | dashboard (${rendered} task rows) | dashboard p50 / p99 | dashboard / healthz | peak RSS |"
  echo "| --- | --- | --- | --- | --- | --- |"
  cat "${jar}.rows"
  exit 0
fi
log "browser: Process to first streamed event (offline engine, 5,000 characters, RUNS=${RUNS:-30})"
need_apt chromium
BASE_URL="$base" BENCH_OUT="${jar}.first.json" WASM_OUT="${jar}.wasm.json" \
  BASES="this=${base}" LOAD_OUT="${jar}.load.md" npx --no-install playwright test -c end2end/playwright.bench.config.ts >&2
# p50 / p95 / max of each figure, in ms
stream_stats() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const k = process.argv[2];
    const v = r.map((x) => x[k]).sort((a, b) => a - b);
    const q = (p) => v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)].toFixed(1);
    console.log(`${q(0.5)} / ${q(0.95)} / ${v[v.length - 1].toFixed(1)} ms (${v.length} runs)`);
  ' "${jar}.first.json" "$1"
}

# The app's code as the browser downloaded it (end2end/bench/wasm_sizes.spec.ts).
wasm_table() {
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const kb = (n) => `${Math.round(n / 1024)} KB`;
    const sum = (list, ext, k) => list.filter((d) => d.url.endsWith(ext)).reduce((a, d) => a + d[k], 0);
    const files = (list) => list.filter((d) => d.url.endsWith(".wasm")).length;
    console.log("| page | first visit: .wasm raw / gzip (files) | first visit: .js gzip | navigating to it: .wasm gzip (files) |");
    console.log("| --- | --- | --- | --- |");
    for (const [name, list] of Object.entries(r.first)) {
      const nav = r.navigated[name];
      const navCell = nav ? `${kb(sum(nav, ".wasm", "gzip"))} (${files(nav)})` : "—";
      console.log(`| ${name} | ${kb(sum(list, ".wasm", "raw"))} / ${kb(sum(list, ".wasm", "gzip"))} (${files(list)}) | ${kb(sum(list, ".js", "gzip"))} | ${navCell} |`);
    }
  ' "${jar}.wasm.json"
}

# Lighthouse (mobile, simulated throttling: its defaults) on each page the
# issue lists, signed in as the seeded account; the worker generates the brief.
lighthouse_rows() {
  log "lighthouse: seeding a brain dump in review and a brief"
  (cd scripts/lighthouse && [ -x node_modules/.bin/lighthouse ] && [ node_modules/.package-lock.json -nt package-lock.json ] ||
    npm ci --no-audit --no-fund >&2)
  SQLX_OFFLINE=true cargo build --release -p worker --features bench >&2
  DATABASE_URL="$db_url" OUTBOX_DIR="${jar}.outbox" RUST_LOG=warn "$(target_dir)/release/worker" >/dev/null 2>&1 &
  local worker_pid=$! dump brief i
  dump="$(api save_draft "content=# Garden
- buy seeds tomorrow
- fix the fence by Friday, high priority
Call the plumber about the kitchen sink next week." | tr -d '"')"
  call parse_brain_dump "id=${dump}"
  brief="$(api generate_brief | tr -d '"')"
  for ((i = 0; i < 300; i++)); do
    [[ "$(api get_brief "id=${brief}")" == *'"status":"ready"'* ]] && break
    sleep 0.2
  done
  stop_pid "$worker_pid"
  [[ "$(api get_brief "id=${brief}")" == *'"status":"ready"'* ]] || die "the brief was not ready after 60 s"
  local page path
  for page in login=/login dashboard=/ brain-dump=/brain-dump "review=/brain-dump/${dump}" project=/projects/project-1 \
    "brief=/briefs/${brief}" calendar=/calendar; do
    path="${page#*=}"
    log "lighthouse: ${page%%=*} (${path})"
    # The login page is measured signed out.
    local headers='{}'
    [ "${page%%=*}" = login ] || headers="{\"Cookie\": \"${cookie}\"}"
    CHROME_PATH="$(command -v chromium)" scripts/lighthouse/node_modules/.bin/lighthouse "${base}${path}" --quiet \
      --output=json --output-path="${jar}.lh.json" --only-categories=performance,accessibility \
      --chrome-flags="--headless=new --no-sandbox" --extra-headers="$headers" >&2
    node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1]));
      const a = (k) => r.audits[k].displayValue;
      const failed = r.categories.accessibility.auditRefs.filter((x) => r.audits[x.id].score !== null && r.audits[x.id].score < 1).map((x) => x.id);
      const score = (c) => Math.round(r.categories[c].score * 100);
      console.log(`| ${process.argv[2]} | ${score("performance")} | ${a("first-contentful-paint")} / ${a("largest-contentful-paint")} / ${a("total-blocking-time")} / ${a("cumulative-layout-shift")} | ${score("accessibility")}${failed.length ? ` (${failed.join(", ")})` : ""} |`);
      if (!r.finalDisplayedUrl.endsWith(process.argv[3])) throw new Error(`${process.argv[2]}: landed on ${r.finalDisplayedUrl}`);
    ' "${jar}.lh.json" "${page%%=*}" "$path" >>"${jar}.lh"
  done
}
[ "${LIGHTHOUSE:-1}" = 0 ] || lighthouse_rows

echo "| server | /healthz | dashboard (${rendered} task rows) | dashboard p50 / p99 | dashboard / healthz | peak RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
cat "${jar}.rows"
echo
cat <<MD
| figure | value |
| --- | --- |
| brain dump, Process → first streamed event, p50 / p95 / max | $(stream_stats first_event) |
| brain dump, Process → first proposal on screen, p50 / p95 / max | $(stream_stats first_operation) |
| brain dump, Process → review page shown, p50 / p95 / max | $(stream_stats review) |
MD
echo
wasm_table
echo
cat "${jar}.load.md"
if [ -f "${jar}.lh" ]; then
  echo
  echo "| page (Lighthouse, mobile) | performance | FCP / LCP / TBT / CLS | accessibility (audits not passed) |"
  echo "| --- | --- | --- | --- |"
  cat "${jar}.lh"
fi
rm -rf "${jar}".*
bench_end
trap - EXIT

# The queue: throughput and enqueue-to-start latency (scripts/bench-queue.sh).
if [ "${QUEUE:-1}" != 0 ]; then
  echo
  env -u DATABASE_URL PARTS="${QUEUE_PARTS:-throughput latency}" VARIANTS=wakeups ./scripts/bench-queue.sh
fi
