#!/usr/bin/env bash
# Fuzz the JSON API from its own OpenAPI document with schemathesis (PyPI):
# a debug server on a fresh database, an account and a token made through the
# API, then every operation with generated valid and invalid input. Fails on
# any 5xx and on any response that does not match the document (status code,
# content type, headers, body schema). Prints the number of requests made.
#
#   ./scripts/fuzz-api.sh          # MAX_EXAMPLES=100 per operation, SEED=42
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

: "${FUZZ_PORT:=3323}" "${MAX_EXAMPLES:=100}" "${SEED:=42}"
PORT="${FUZZ_PORT}" venv=.data/schemathesis report=.data/schemathesis-report

./scripts/setup.sh
need_apt python3-venv
pg_start
if [ ! -x "${venv}/bin/st" ]; then
  log "Installing schemathesis into ${venv}"
  /usr/bin/python3 -m venv "$venv"
  "${venv}/bin/pip" install --quiet 'schemathesis>=4.3,<5'
fi

log "debug build of the server"
SQLX_OFFLINE=true cargo build -p server >&2
pg_drop_db buildos_fuzz
url="$(pg_create_db buildos_fuzz)"
server_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
  [ -n "$server_pid" ] && stop_pid "$server_pid"
  pg_stop_if_started
}
trap cleanup EXIT
port_in_use "$PORT" && die "port ${PORT} is in use; set FUZZ_PORT"
DATABASE_URL="$url" PORT="$PORT" API_RATE_PER_MINUTE=6000 SIGNUPS_PER_ADDRESS_PER_HOUR=100000 SIGNUPS_PER_HOUR=100000 RUST_LOG=warn \
  "$(target_dir)/debug/server" >"${BUILDOS_ROOT}/.data/fuzz-server.log" 2>&1 &
server_pid=$!
wait_healthy "http://127.0.0.1:${PORT}/healthz" "$server_pid" 60 || die "the server did not start"

base="http://127.0.0.1:${PORT}/api/v1"
curl -fsS -X POST "${base}/auth/register" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"correct horse battery"}' >/dev/null
token="$(curl -fsS -X POST "${base}/auth/tokens" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"correct horse battery","name":"fuzz"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
# Something to find: a project with a task (due soon, so a plan proposes it).
project="$(curl -fsS -X POST "${base}/projects" -H "authorization: Bearer ${token}" -H 'content-type: application/json' \
  -d '{"name":"Fuzz target"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')"
curl -fsS -X POST "${base}/tasks" -H "authorization: Bearer ${token}" -H 'content-type: application/json' \
  -d "{\"project_id\":\"${project}\",\"title\":\"A task\",\"priority\":\"high\",\"due_date\":\"$(date -d '+3 days' +%F)\"}" >/dev/null

log "schemathesis: ${MAX_EXAMPLES} examples per operation, seed ${SEED}"
rm -rf "$report"
rc=0
# data_too_large: the import's body is a whole export, larger than Hypothesis'
# size health check allows; it is a generator check, every response check stays on.
"${venv}/bin/st" --config-file scripts/schemathesis.toml run "${base}/openapi.json" \
  -H "Authorization: Bearer ${token}" \
  --checks all --rate-limit 3000/m \
  --max-examples "$MAX_EXAMPLES" --seed "$SEED" --generation-allow-x00 false \
  --suppress-health-check data_too_large \
  --report json --report-dir "$report" || rc=$?
cases="$(python3 - "$report" 2>/dev/null <<'PY' || echo "no report"
import glob, json, sys
r = json.load(open(glob.glob(sys.argv[1] + "/json-*.json")[0]))
t = r["test_cases"]
print("%d test cases (one request each), %d failing, %.0f s" % (t["generated"], t["with_failures"], r["running_time"]))
PY
)"
log "schemathesis exit status ${rc}: ${cases}"
exit "$rc"
