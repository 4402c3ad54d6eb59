# shellcheck shell=bash
# Helpers shared by scripts/run.sh, scripts/test.sh and scripts/setup.sh.
#
# Source it from bash (callers use `set -euo pipefail`):
#
#   source scripts/lib.sh
#   pg_start            # project-local PostgreSQL, exports DATABASE_URL
#   cargo leptos watch --split
#
# Nothing here runs on its own; every helper is a function.

# Repository root (absolute, symlinks resolved).
BUILDOS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export BUILDOS_ROOT

# Pinned tool versions (see docs in README.md and the workspace Cargo.toml).
BUILDOS_CARGO_LEPTOS_VERSION="0.3.10"
BUILDOS_SQLX_CLI_VERSION="0.9.0"
BUILDOS_WASM_TARGET="wasm32-unknown-unknown"

# Tools installed by `cargo install` live here; make sure they are found.
case ":${PATH}:" in
  *":${HOME}/.cargo/bin:"*) ;;
  *) export PATH="${HOME}/.cargo/bin:${PATH}" ;;
esac

log() {
  printf '==> %s\n' "$*" >&2
}

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Run a command as root: directly when we are root, via sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run '$*' (run as root or install sudo)"
  fi
}

# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------

# True when the Debian package is installed (not merely known to dpkg, e.g.
# removed with its configuration files left behind).
apt_installed() {
  local status
  status="$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" || return 1
  [ "$status" = "installed" ]
}

# need_apt PKG...: install the packages that are missing, running
# `apt-get update` once first if anything is missing.
need_apt() {
  command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: these scripts expect Debian 12"
  local pkg missing=()
  for pkg in "$@"; do
    apt_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "Installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# ---------------------------------------------------------------------------
# Rust tools (installed into ~/.cargo/bin, shared by every clone)
# ---------------------------------------------------------------------------

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
wasm_bindgen_version() {
  local v=""
  if [ -f "${BUILDOS_ROOT}/Cargo.lock" ]; then
    v="$(awk '
      $0 == "name = \"wasm-bindgen\"" { hit = 1; next }
      hit && /^version = / { gsub(/"/, "", $3); print $3; exit }
      /^\[\[package\]\]/ { hit = 0 }
    ' "${BUILDOS_ROOT}/Cargo.lock")"
  fi
  printf '%s\n' "${v:-0.2.130}"
}

# has_version "OUTPUT" "VERSION": true when OUTPUT mentions exactly VERSION.
has_version() {
  local out="$1" want="${2//./\\.}"
  [[ "$out" =~ (^|[^0-9.])${want}([^0-9]|$) ]]
}

need_rust_tools() {
  if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
    die "Rust (cargo + rustup) not found: install it from https://rustup.rs, then re-run"
  fi

  local installed
  installed="$(rustup target list --installed 2>/dev/null || true)"
  if ! grep -qx "${BUILDOS_WASM_TARGET}" <<<"$installed"; then
    log "Adding Rust target ${BUILDOS_WASM_TARGET}"
    rustup target add "${BUILDOS_WASM_TARGET}"
  fi

  local comp
  for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      log "Adding Rust component ${comp}"
      rustup component add "$comp"
    fi
  done

  if ! has_version "$(cargo leptos --version 2>/dev/null || true)" "${BUILDOS_CARGO_LEPTOS_VERSION}"; then
    log "Installing cargo-leptos ${BUILDOS_CARGO_LEPTOS_VERSION} (one-off, ~20 min on 2 cores)"
    cargo install cargo-leptos --locked --version "${BUILDOS_CARGO_LEPTOS_VERSION}"
  fi

  local wbg
  wbg="$(wasm_bindgen_version)"
  if ! has_version "$(wasm-bindgen --version 2>/dev/null || true)" "$wbg"; then
    # No --locked: wasm-bindgen-cli's own lock file pins crates that no
    # longer build; cargo-leptos cannot download it here (no internet).
    log "Installing wasm-bindgen-cli ${wbg} (one-off, ~3 min)"
    cargo install wasm-bindgen-cli --version "$wbg"
  fi

  local sqlx_out
  sqlx_out="$(cargo sqlx --version 2>/dev/null || true)"
  if ! [[ "$sqlx_out" =~ (^|[^0-9.])0\.9\.[0-9]+ ]]; then
    log "Installing sqlx-cli ${BUILDOS_SQLX_CLI_VERSION} (one-off, a few minutes)"
    local sqlx_args=(sqlx-cli --version "${BUILDOS_SQLX_CLI_VERSION}" --no-default-features --features postgres)
    if ! cargo install "${sqlx_args[@]}" --locked; then
      log "cargo install sqlx-cli --locked failed; retrying without --locked"
      cargo install "${sqlx_args[@]}"
    fi
  fi
}

# ---------------------------------------------------------------------------
# npm (Tailwind v4, wasm-opt from binaryen, Playwright)
# ---------------------------------------------------------------------------

node_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

need_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: installing Debian's nodejs + npm"
    need_apt nodejs npm
  fi
  # Playwright and Tailwind v4 need Node 20+; Debian 12's own nodejs is 18.
  # The npm registry carries Node itself (package `node`), so it can come from there.
  if [ "$(node_major)" -lt 20 ]; then
    log "Node $(node --version 2>/dev/null || echo '(none)') is older than 20: installing Node 20 from the npm registry"
    as_root npm install -g --no-audit --no-fund node@20 ||
      die "could not install Node 20; install Node.js 20 or newer and run this again"
    hash -r
    [ "$(node_major)" -ge 20 ] ||
      die "Node 20 was installed but $(command -v node) is first on PATH; put $(npm prefix -g)/bin first"
  fi
  local nm="${BUILDOS_ROOT}/node_modules"
  if [ ! -f "${nm}/.package-lock.json" ] ||
     [ "${BUILDOS_ROOT}/package-lock.json" -nt "${nm}/.package-lock.json" ]; then
    log "Installing npm packages (npm ci)"
    # Browsers come from Debian (chromium); Playwright must not download any.
    (cd "${BUILDOS_ROOT}" &&
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
}

# ---------------------------------------------------------------------------
# PostgreSQL: a project-local cluster
# ---------------------------------------------------------------------------

BUILDOS_PG_STARTED="${BUILDOS_PG_STARTED:-0}" # 1 once *this shell* started the cluster
BUILDOS_PG_LOCAL="${BUILDOS_PG_LOCAL:-0}"     # 1 when DATABASE_URL points at our cluster
BUILDOS_PG_DATADIR="${BUILDOS_PG_DATADIR:-}"

# Directory holding initdb/pg_ctl/postgres (highest installed major version,
# e.g. /usr/lib/postgresql/15/bin on Debian 12).
pg_bindir() {
  local d v best="" bestv=0
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] || continue
    v="${d#/usr/lib/postgresql/}"
    v="${v%%/*}"
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    if [ "$v" -gt "$bestv" ]; then
      best="$d"
      bestv="$v"
    fi
  done
  [ -n "$best" ] || return 1
  printf '%s\n' "$best"
}

pg_port() {
  printf '%s\n' "${BUILDOS_PG_PORT:-55432}"
}

# Run a PostgreSQL server binary as the right user: PostgreSQL refuses to run
# as root, so root runs it as `postgres`.
pg_as() {
  if [ "$(id -u)" -eq 0 ]; then
    # From / so that an unreadable working directory does not bother it.
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Where the cluster lives: .data/pg in the repo, unless the `postgres` user
# cannot reach it (root's clone under /root, mode 700) or the socket path would
# exceed the 107-byte limit for Unix sockets; then a per-repo directory under
# /var/tmp. BUILDOS_PG_DATADIR overrides the choice. Prints the directory.
pg_choose_datadir() {
  local port repo_dir fallback reason=""
  port="$(pg_port)"
  repo_dir="${BUILDOS_ROOT}/.data/pg"
  fallback="/var/tmp/buildos-pg-$(printf '%s' "${BUILDOS_ROOT}" | sha1sum | cut -c1-10)"

  if [ -n "${BUILDOS_PG_DATADIR}" ]; then
    printf '%s\n' "${BUILDOS_PG_DATADIR}"
    return 0
  fi
  # An existing fallback cluster keeps being used (e.g. created earlier by root).
  if [ -f "${fallback}/PG_VERSION" ] && [ ! -f "${repo_dir}/PG_VERSION" ]; then
    printf '%s\n' "$fallback"
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "${BUILDOS_ROOT}"; then
    reason="user 'postgres' cannot traverse ${BUILDOS_ROOT}"
  elif [ "$(( ${#repo_dir} + ${#port} + 10 ))" -gt 107 ]; then
    reason="the socket path under ${repo_dir} would be too long"
  fi
  if [ -n "$reason" ]; then
    log "PostgreSQL data directory: ${fallback} (${reason})"
    printf '%s\n' "$fallback"
  else
    printf '%s\n' "$repo_dir"
  fi
}

# Create the data directory with the right owner and run initdb once.
pg_init_datadir() {
  local dir="$1" bindir="$2"
  if [ -f "${dir}/PG_VERSION" ]; then
    return 0
  fi
  log "Creating PostgreSQL cluster in ${dir}"
  if [ "$(id -u)" -eq 0 ]; then
    local parent
    parent="$(dirname "$dir")"
    mkdir -p "$parent"
    # .data is ours; it only needs to be traversable by `postgres`.
    if [ "$parent" = "${BUILDOS_ROOT}/.data" ]; then
      chmod 755 "$parent"
    fi
    install -d -o postgres -g postgres -m 700 "$dir"
    runuser -u postgres -- test -x "$dir" ||
      die "user 'postgres' cannot reach ${dir}; set BUILDOS_PG_DATADIR to a directory it can use"
  else
    mkdir -p "$dir"
    chmod 700 "$dir"
  fi
  # Nothing is trusted: the superuser has a password of its own (kept beside
  # the cluster, readable by us only), and every role signs in with one.
  local pwfile tmp
  pwfile="$(pg_password_file "$dir")"
  (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$pwfile")
  tmp="$(mktemp)"
  cp "$pwfile" "$tmp"
  [ "$(id -u)" -eq 0 ] && chown postgres "$tmp"
  pg_as "${bindir}/initdb" -D "$dir" --auth-local=peer --auth-host=scram-sha-256 -U postgres \
    --pwfile="$tmp" --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$tmp"
  # Our settings live in buildos.conf (rewritten before every start, so a
  # moved repo or a changed BUILDOS_PG_PORT just works).
  printf "\n# Added by scripts/lib.sh\ninclude_if_exists = 'buildos.conf'\n" |
    pg_as tee -a "${dir}/postgresql.conf" >/dev/null
}

pg_write_conf() {
  local dir="$1" port="$2"
  local sockdir="${dir//\'/\'\'}"
  pg_as tee "${dir}/buildos.conf" >/dev/null <<EOF
# Written by scripts/lib.sh on every start; edits are overwritten.
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${sockdir}'
fsync = on
max_connections = 200
shared_buffers = 128MB
EOF
}

# Port of the running cluster in DIR (line 4 of postmaster.pid).
pg_running_port() {
  sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

# Where the superuser's password of the cluster in DIR is kept (beside it).
pg_password_file() {
  printf '%s.password\n' "$1"
}

# psql as the superuser of our cluster (with its password).
pg_super_psql() {
  local pwfile
  pwfile="$(pg_password_file "${BUILDOS_PG_DATADIR:-$(pg_choose_datadir)}")"
  PGPASSWORD="$(cat "$pwfile" 2>/dev/null)" "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$(pg_port)" -U postgres "$@"
}

# A cluster made before password authentication (pg_hba.conf trusting every
# local connection): give the superuser a password, then trust nobody.
pg_secure_auth() {
  local dir="$1" pwfile
  pg_as grep -q '^[^#]*trust' "${dir}/pg_hba.conf" || return 0
  log "PostgreSQL: switching the local cluster from trust to password authentication"
  pwfile="$(pg_password_file "$dir")"
  [ -s "$pwfile" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$pwfile")
  # On stdin, not the command line (where ps would show it).
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "$(cat "$pwfile")" | pg_super_psql -d postgres >/dev/null
  printf '%s\n' \
    '# Written by scripts/lib.sh: every connection signs in with a password.' \
    'local all all                peer' \
    'host  all all 127.0.0.1/32   scram-sha-256' \
    'host  all all ::1/128        scram-sha-256' | pg_as tee "${dir}/pg_hba.conf" >/dev/null
  pg_as "$(pg_bindir)/pg_ctl" -D "$dir" reload >/dev/null
}

# pg_start: when DATABASE_URL is not set, start (or reuse) the project-local
# cluster, make sure role + database `buildos` exist and export DATABASE_URL.
pg_start() {
  if [ -n "${DATABASE_URL:-}" ] && [ "${BUILDOS_PG_LOCAL}" != 1 ]; then
    log "Using DATABASE_URL from the environment"
    return 0
  fi
  local bindir dir port
  bindir="$(pg_bindir)" || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  dir="$(pg_choose_datadir)"
  port="$(pg_port)"
  BUILDOS_PG_DATADIR="$dir"

  pg_init_datadir "$dir" "$bindir"

  if pg_as "${bindir}/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    local running
    running="$(pg_running_port "$dir")"
    if [ -n "$running" ] && [ "$running" != "$port" ]; then
      log "PostgreSQL in ${dir} is already running on port ${running}; using that"
      port="$running"
      BUILDOS_PG_PORT="$running"
    else
      log "PostgreSQL already running (${dir}, port ${port})"
    fi
  else
    if "${bindir}/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1; then
      die "another server already listens on 127.0.0.1:${port}; set BUILDOS_PG_PORT to a free port"
    fi
    pg_write_conf "$dir" "$port"
    log "Starting PostgreSQL (${dir}, port ${port})"
    if ! pg_as "${bindir}/pg_ctl" -D "$dir" -l "${dir}/server.log" -w -t 60 start >/dev/null; then
      tail -n 20 "${dir}/server.log" >&2 || true
      die "PostgreSQL did not start; see ${dir}/server.log"
    fi
    BUILDOS_PG_STARTED=1
  fi
  export BUILDOS_PG_PORT="$port"
  BUILDOS_PG_LOCAL=1
  if [ ! -s "$(pg_password_file "$dir")" ] && ! pg_as grep -q '^[^#]*trust' "${dir}/pg_hba.conf"; then
    die "the superuser password of ${dir} is missing ($(pg_password_file "$dir")); remove ${dir} to start afresh"
  fi
  pg_secure_auth "$dir"

  # The application role must be neither superuser nor BYPASSRLS: the
  # row-level-security policies (and their tests) rely on it.
  pg_super_psql -d postgres >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'buildos') THEN
    CREATE ROLE buildos LOGIN PASSWORD 'buildos' CREATEDB NOSUPERUSER NOBYPASSRLS;
  END IF;
END
$$;
ALTER ROLE buildos LOGIN PASSWORD 'buildos' CREATEDB NOSUPERUSER NOBYPASSRLS;
SELECT 'CREATE DATABASE buildos OWNER buildos'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'buildos')
\gexec
SQL
  export DATABASE_URL="postgres://buildos:buildos@127.0.0.1:${port}/buildos"
}

# pg_url_for_db NAME: DATABASE_URL with its database name replaced by NAME.
pg_url_for_db() {
  local name="$1" url="${DATABASE_URL:?DATABASE_URL is not set (call pg_start first)}"
  local re='^(postgres(ql)?://[^/?]*)(/[^?]*)?(\?.*)?$'
  [[ "$url" =~ $re ]] || die "cannot parse DATABASE_URL"
  printf '%s/%s%s\n' "${BASH_REMATCH[1]}" "$name" "${BASH_REMATCH[4]}"
}

# psql with administrative rights: our cluster's superuser, or else the
# DATABASE_URL role (which needs CREATEDB) on its `postgres` database.
pg_admin_psql() {
  if [ "${BUILDOS_PG_LOCAL}" = 1 ]; then
    pg_super_psql -d postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -d "$(pg_url_for_db postgres)" "$@"
  fi
}

# pg_restart_cmd: a shell command that restarts the project-local cluster
# (for the worker's PostgreSQL-restart test).
pg_restart_cmd() {
  local bindir pg_ctl
  bindir="$(pg_bindir)" || die "PostgreSQL server binaries not found"
  pg_ctl="${bindir}/pg_ctl -D ${BUILDOS_PG_DATADIR} -l ${BUILDOS_PG_DATADIR}/server.log -w -t 60 restart -m fast"
  if [ "$(id -u)" -eq 0 ]; then
    printf 'cd / && runuser -u postgres -- %s >/dev/null\n' "$pg_ctl"
  else
    printf '%s >/dev/null\n' "$pg_ctl"
  fi
}

# pg_sqlx_check_db: a fresh database `buildos_sqlx` holding the app's
# migrations and apalis-postgres's (its tables are in the `apalis` schema):
# the query macros of both are checked against it at compile time when
# SQLX_OFFLINE is not true. apalis' migrations are applied with psql and not
# recorded: this database is only ever compiled against. Prints its URL.
pg_sqlx_check_db() {
  local url dir f
  pg_drop_db buildos_sqlx >/dev/null
  url="$(pg_create_db buildos_sqlx)"
  DATABASE_URL="$url" cargo sqlx migrate run --source migrations >&2
  dir="$(cargo metadata --format-version 1 --locked |
    python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "apalis-postgres"))')"
  dir="$(dirname "$dir")/migrations"
  [ -d "$dir" ] || die "apalis-postgres migrations not found at ${dir}"
  psql -X -q -v ON_ERROR_STOP=1 -d "$url" -c 'create schema if not exists apalis' >&2
  for f in "$dir"/*.sql; do
    psql -X -q -v ON_ERROR_STOP=1 -d "$url" -f "$f" >/dev/null || die "applying ${f} failed"
  done
  printf '%s\n' "$url"
}

pg_valid_db_name() {
  [[ "$1" =~ ^[a-z_][a-z0-9_]*$ ]] || die "invalid database name: $1"
}

# pg_create_db NAME: create database NAME (owner buildos) if missing; prints its URL.
pg_create_db() {
  local name="$1" owner=""
  pg_valid_db_name "$name"
  [ "${BUILDOS_PG_LOCAL}" = 1 ] && owner=" OWNER buildos"
  pg_admin_psql >/dev/null <<SQL
SELECT 'CREATE DATABASE ${name}${owner}'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${name}')
\gexec
SQL
  pg_url_for_db "$name"
}

# pg_drop_db NAME: drop database NAME if it exists (closing its connections).
pg_drop_db() {
  local name="$1"
  pg_valid_db_name "$name"
  pg_admin_psql -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS ${name} WITH (FORCE)" >/dev/null
}

# pg_stop_if_started: stop the cluster only if this shell started it.
pg_stop_if_started() {
  if [ "${BUILDOS_PG_STARTED}" = 1 ] && [ -n "${BUILDOS_PG_DATADIR}" ]; then
    log "Stopping PostgreSQL (${BUILDOS_PG_DATADIR})"
    pg_as "$(pg_bindir)/pg_ctl" -D "${BUILDOS_PG_DATADIR}" -m fast -w stop >/dev/null || true
    BUILDOS_PG_STARTED=0
  fi
}

# ---------------------------------------------------------------------------
# Misc
# ---------------------------------------------------------------------------

# load_dotenv FILE: export KEY=VALUE lines from FILE without overriding
# variables already set in the environment. Not a shell: no expansion.
load_dotenv() {
  local file="$1" line key val
  [ -f "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line#export }"
    [[ "$line" =~ ^([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"
    val="${BASH_REMATCH[2]}"
    if [[ "$val" =~ ^\"([^\"]*)\" ]] || [[ "$val" =~ ^\'([^\']*)\' ]]; then
      val="${BASH_REMATCH[1]}"
    else
      val="${val%%[[:space:]]#*}" # strip trailing " # comment"
      val="${val%"${val##*[![:space:]]}"}"
    fi
    if [ -z "${!key+x}" ]; then
      export "${key}=${val}"
    fi
  done <"$file"
}

# Cargo's target directory (CARGO_TARGET_DIR or ./target).
target_dir() {
  local t="${CARGO_TARGET_DIR:-target}"
  case "$t" in
    /*) printf '%s\n' "$t" ;;
    *) printf '%s/%s\n' "${BUILDOS_ROOT}" "$t" ;;
  esac
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_healthy URL PID [SECONDS]: wait until URL answers 2xx; fail early if
# process PID exits.
wait_healthy() {
  local url="$1" pid="$2" secs="${3:-60}" i
  for ((i = 0; i < secs; i++)); do
    if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { log "process ${pid} exited before ${url} became healthy"; return 1; }
    sleep 1
  done
  log "${url} did not become healthy within ${secs}s"
  return 1
}

# stop_pid PID...: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  local pid i
  for pid in "$@"; do
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    [ -n "$pid" ] || continue
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# bench_begin: what every benchmark needs first (its tools, PostgreSQL, a
# cookie jar in $jar); on exit the server (server_pid) and PostgreSQL stop.
bench_begin() {
  ./scripts/setup.sh
  need_apt wrk >&2
  pg_start
  server_pid=""
  jar="$(mktemp)"
  trap bench_end EXIT
}

bench_end() {
  [ -n "${server_pid:-}" ] && stop_pid "$server_pid"
  rm -f "$jar" "${jar}".*
  pg_stop_if_started
}

# bench_server DB PORT: release build, a fresh database DB, and the release
# server on PORT against it (for the benchmarks). Sets server_pid and url
# (the database's); the caller stops the server. BUILD=0 serves the release
# build already in the target directory (target/site is shared with debug
# builds: after `scripts/test.sh` it holds the debug .wasm, so build again).
bench_server() {
  local db="$1" port="$2"
  if [ "${BUILD:-1}" != 0 ]; then
    log "release build"
    SQLX_OFFLINE=true cargo leptos build --release --split >&2
  fi
  pg_drop_db "$db"
  url="$(pg_create_db "$db")"
  DATABASE_URL="$url" PORT="$port" LEPTOS_SITE_ROOT=target/site LEPTOS_ENV=PROD RUST_LOG=warn \
    "$(target_dir)/release/server" >/dev/null 2>&1 &
  server_pid=$!
  wait_healthy "http://127.0.0.1:${port}/healthz" "$server_pid" 60
}
