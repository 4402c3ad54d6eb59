#!/usr/bin/env bash
# The ICS feed of 1,000 tasks (issue 11): release build, one account seeded
# with TASKS dated tasks (every third repeating, every second with a due date
# too), then wrk on its feed address with 1 and with 8 connections.
#
#   ./scripts/bench-feed.sh        # TASKS=1000 DURATION=20s by default
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

: "${TASKS:=1000}" "${DURATION:=20s}" "${BENCH_PORT:=3313}"
PORT="${BENCH_PORT}"

bench_begin

bench_server buildos_bench_feed "$PORT"
base="http://127.0.0.1:${PORT}"

log "seeding one account with ${TASKS} dated tasks"
curl -fsS -b "$jar" -c "$jar" -o /dev/null --data-urlencode email=feed@example.com \
  --data-urlencode "password=correct horse battery" --data-urlencode timezone=UTC "${base}/api/signup"
user_id="$(psql -X -qtA -d "$url" -c "select id from users where email = 'feed@example.com'")"
psql -X -q -v ON_ERROR_STOP=1 -d "$url" >/dev/null <<SQL
select set_config('app.user_id', '${user_id}', false);
insert into tasks (user_id, title, description, start_date, due_date, recurrence)
select '${user_id}', 'Task number ' || i || ' with a realistic title', 'Some words about task ' || i,
       current_date + (i % 90), case when i % 2 = 0 then current_date + (i % 90) + 3 end,
       case when i % 3 = 0 then 'weekly' end
from generate_series(1, ${TASKS}) i;
SQL
feed="$(curl -fsS -b "$jar" -X POST "${base}/api/get_calendar_feed" | tr -d '"')"
events="$(curl -fsS "$feed" | grep -c '^BEGIN:VEVENT')"
bytes="$(curl -fsS "$feed" | wc -c)"
log "feed: ${events} events, ${bytes} bytes"

for c in 1 8; do
  log "wrk feed (${c} connections, ${DURATION})"
  wrk -t1 -c"$c" -d"$DURATION" --latency "$feed" >"${jar}.c${c}"
done
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
pct() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
cat <<MD
| figure (${TASKS} tasks, ${events} events, $((bytes / 1024)) KB) | value |
| --- | --- |
| 1 connection: req/s, p50 / p99 | $(rps "${jar}.c1"), $(pct "${jar}.c1" 50%) / $(pct "${jar}.c1" 99%) |
| 8 connections: req/s, p50 / p99 | $(rps "${jar}.c8"), $(pct "${jar}.c8" 50%) / $(pct "${jar}.c8" 99%) |
MD
awk '/Non-2xx|Socket errors/ { print }' "${jar}.c1" "${jar}.c8" || true
