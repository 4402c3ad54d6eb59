#!/usr/bin/env bash
# Install whatever is missing to build, run and test BuildOS on Debian 12:
# Debian packages, Rust tools (into ~/.cargo/bin) and npm packages.
# Idempotent; a no-op (about a second) when everything is there.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${BUILDOS_ROOT}"

need_apt postgresql chromium python3-aiosmtpd curl
need_rust_tools
need_npm
