#!/usr/bin/env bash
# Worker benchmarks (issue: worker), against the project-local PostgreSQL
# (fsync on), release build:
#   1. throughput: 10,000 no-op jobs drained by 1, then 2 worker processes;
#   2. latency: enqueue-to-start of no-op jobs enqueued one per transaction at
#      a steady rate (each of RATES per second, for 10 s) into an idle worker,
#      with the worker's counts: notifications received, fetches started (all
#      queues: the seven idle ones add about 7 a second), fetches that found
#      jobs and the jobs they found; each rate with apalis' own wake-ups
#      ("plain", `with_pubsub()`) and with ours ("wakeups", what runs), in turn;
#   3. briefs: 10,000 people due at once (one project, five tasks each),
#      generated and emailed to the file outbox, timed from the tick to the
#      last email, with the worker's peak RSS.
# Prints a markdown table; docs/benchmarks.md records the figures.
#
#   ./scripts/bench-queue.sh        # RATES="100 500 1000 2000" JOBS=10000 PEOPLE=10000
#   PARTS=latency ./scripts/bench-queue.sh   # any of: throughput latency briefs
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

: "${JOBS:=10000}" "${RATES:=100 500 1000 2000}" "${PEOPLE:=10000}" "${PARTS:=throughput latency briefs}" "${VARIANTS:=plain wakeups}"
part() { [[ " ${PARTS} " == *" $1 "* ]]; }
rows=()

./scripts/setup.sh
pg_start
[ "${BUILDOS_PG_LOCAL}" = 1 ] || die "the queue benchmark seeds with the local superuser: unset DATABASE_URL"

log "release build of the worker"
SQLX_OFFLINE=true cargo build --release -p worker --features bench >&2
bin="$(target_dir)/release"

pg_drop_db buildos_bench_queue
url="$(pg_create_db buildos_bench_queue)"
work="$(mktemp -d)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  rm -rf "$work"
  pg_stop_if_started
}
trap cleanup EXIT

sql() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$url" -c "$1"; }
super() { pg_super_psql -At -d buildos_bench_queue -c "$1"; }

# start_workers N [ENV=VALUE...]: N worker processes; their pids in $pids.
start_workers() {
  local n="$1" i
  shift
  for ((i = 0; i < n; i++)); do
    env DATABASE_URL="$url" OUTBOX_DIR="${work}/outbox" RUST_LOG=warn "$@" \
      BUILDOS_NOOP_OUT="${work}/noop-$i-${#pids[@]}.json" "${bin}/worker" >>"${work}/worker.log" 2>&1 &
    pids+=("$!")
  done
}
stop_workers() {
  local p
  for p in "${pids[@]}"; do stop_pid "$p"; done
  pids=()
}
wait_for() { # wait_for SQL EXPECTED SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(sql "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  die "timed out waiting for: $1 = $2 (now $(sql "$1"))"
}

log "migrating (the worker does it at start)"
start_workers 1
wait_for "select count(*) from pg_tables where schemaname = 'apalis' and tablename = 'jobs'" 1 60
wait_for "select count(*) from apalis.jobs where job_type = 'maintenance' and status = 'Done'" 1 60
stop_workers

noop_insert="insert into apalis.jobs (id, job_type, job, max_attempts, run_at)
  select apalis.generate_ulid(), 'noop',
         convert_to(json_build_object('enqueued_us', (extract(epoch from clock_timestamp()) * 1e6)::bigint)::text, 'UTF8'),
         5, now()
  from generate_series(1, ${JOBS})"
declare -A rate_of runs_of
for n in 1 2; do
  part throughput || break
  log "throughput: ${JOBS} no-op jobs, ${n} worker process(es)"
  sql "delete from apalis.jobs where job_type = 'noop'"
  sql "$noop_insert"
  start_workers "$n" BUILDOS_NOOP_QUEUE=1
  wait_for "select count(*) from apalis.jobs where job_type = 'noop' and status = 'Done'" "$JOBS" 300
  stop_workers
  # From the first job's start (as the handler saw it) to the last job marked done.
  first_start="$(cat "${work}"/noop-*.json | python3 -c '
import json, sys
starts = [j[-1] for line in sys.stdin.read().replace("][", "]\n[").splitlines() if line.strip() for j in json.loads(line)]
print(min(starts))')"
  last_done="$(sql "select (extract(epoch from max(done_at)) * 1e6)::bigint from apalis.jobs where job_type = 'noop'")"
  rate_of[$n]="$(python3 -c "print(f'{${JOBS} / ((${last_done} - ${first_start}) / 1e6):,.0f}')")"
  # Every job ran exactly once across the processes.
  runs_of[$n]="$(cat "${work}"/noop-*.json | python3 -c '
import json, sys
print(sum(len(json.loads(l)) for l in sys.stdin.read().replace("][", "]\n[").splitlines() if l.strip()))')"
  rm -f "${work}"/noop-*.json
done

for rate in ${RATES}; do
  for variant in ${VARIANTS}; do
    part latency || break 2
    log "latency (${variant} wake-ups): ${rate} jobs/s for 10 s, one per transaction, into one idle worker"
    sql "delete from apalis.jobs where job_type = 'noop'"
    rm -f "${work}"/noop-*
    start_workers 1 BUILDOS_NOOP_QUEUE=1 BUILDOS_NOOP_COUNTS="${COUNTS:-1}" BUILDOS_NOOP_PLAIN_PUBSUB="$([ "$variant" = plain ] && echo 1 || echo 0)"
    sleep 2
    DATABASE_URL="$url" "${bin}/enqueue-noop" "$rate" 10 2>"${work}/enqueue.log"
    sent="$(sed -n 's/^enqueued [0-9]* jobs in \([0-9.]*\) s$/\1/p' "${work}/enqueue.log")"
    enqueue="$(sed -n 's/^enqueue transaction p50 \/ p95 \/ p99: //p' "${work}/enqueue.log")"
    wait_for "select count(*) from apalis.jobs where job_type = 'noop' and status = 'Done'" "$((rate * 10))" 60
    stop_workers
    latency="$(cat "${work}"/noop-*.json | python3 -c '
import json, sys
jobs = [j for line in sys.stdin.read().replace("][", "]\n[").splitlines() if line.strip() for j in json.loads(line)]
waits = sorted((j[-1] - j[0]) / 1000 for j in jobs)
q = lambda p: waits[min(len(waits) - 1, int(p * len(waits)))]
# Median of each stage, where the stamps are in order (enqueued ≤ notified ≤ fetch ≤ found ≤ started).
stage = lambda a, b: sorted((j[b] - j[a]) / 1000 for j in jobs if j[0] <= j[1] <= j[2] <= j[3] <= j[4])
med = lambda xs: f"{xs[len(xs) // 2]:.1f}" if xs else "–"
print(f"{q(0.5):.1f} / {q(0.95):.1f} / {q(0.99):.1f} ms (max {waits[-1]:.0f} ms); median stages: to notification {med(stage(0, 1))}, to fetch {med(stage(1, 2))}, fetch {med(stage(2, 3))}, to start {med(stage(3, 4))} ms")')"
    counts="$(cat "${work}"/noop-*.counts | python3 -c '
import json, sys
c = json.loads(sys.stdin.read())
n, f, w, j = c["notifications"], c["fetches"], c["fetches_with_jobs"], c["jobs_fetched"]
print(f"{n:,} notifications, {f:,} fetches, {w:,} with jobs, {j / max(1, w):.1f} jobs each")')"
    rows+=("| enqueue-to-start p50 / p95 / p99 at ${rate} jobs/s, ${variant} wake-ups (10 s, sent in ${sent} s) | ${latency}; ${counts}; the enqueue transaction itself ${enqueue} |")
  done
done

if part briefs; then
  log "briefs: seeding ${PEOPLE} people (one project, five tasks each)"
  super "
    insert into users (email, password_hash, timezone, created_at)
      select 'person' || i || '@bench.test', 'x', 'UTC', now() - interval '2 days' from generate_series(1, ${PEOPLE}) i;
    insert into brief_preferences (user_id, time_of_day) select id, '00:00' from users;
    insert into projects (user_id, name, slug) select id, 'Garden', 'garden' from users;
    insert into tasks (user_id, project_id, title, due_date, status, completed_at)
      select p.user_id, p.id, 'Task ' || k, current_date + (k - 3),
             case when k = 5 then 'done' else 'backlog' end, case when k = 5 then now() end
      from projects p, generate_series(1, 5) k;"
  rm -rf "${work}/outbox"
  log "briefs: one tick, then until the last email is in the outbox"
  start_workers 1
  t0="$(date +%s.%N)"
  sql "insert into apalis.jobs (id, job_type, job, max_attempts, run_at)
       values (apalis.generate_ulid(), 'maintenance', convert_to('\"Tick\"', 'UTF8'), 5, now())"
  peak=0
  while :; do
    sent="$(super "select count(*) from emails where status = 'sent'")"
    rss="$(awk '/VmRSS/ { print $2 }' "/proc/${pids[0]}/status" 2>/dev/null || echo 0)"
    [ "$rss" -gt "$peak" ] && peak="$rss"
    [ "$sent" -ge "$PEOPLE" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || die "the worker died (see ${work}/worker.log)"
    sleep 0.2
  done
  t1="$(date +%s.%N)"
  briefs_s="$(python3 -c "print(f'{${t1} - ${t0}:.1f}')")"
  idle_rss="$(awk '/VmRSS/ { print $2 }' "/proc/${pids[0]}/status")"
  files="$(find "${work}/outbox" -name '*.eml' | wc -l)"
  stop_workers

fi
echo "| figure | value |"
echo "| --- | --- |"
for n in 1 2; do
  [ -n "${rate_of[$n]:-}" ] && echo "| no-op jobs/s, ${JOBS} jobs, ${n} worker process(es) | ${rate_of[$n]} (handler runs: ${runs_of[$n]}) |"
done
for r in "${rows[@]}"; do echo "$r"; done
if part briefs; then
  echo "| ${PEOPLE} briefs generated and emailed (outbox), from the tick | ${briefs_s} s (${files} .eml files) |"
  echo "| worker peak RSS during the briefs / after | $((peak / 1024)) MB / $((idle_rss / 1024)) MB |"
fi
