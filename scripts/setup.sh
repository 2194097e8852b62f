#!/usr/bin/env bash
# Prepares this host for Cleanroom: installs the host packages it needs and builds it. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_packages "${HOST_PACKAGES[@]}"
"$REPO_ROOT/scripts/build.sh"
log "ready: $REPO_ROOT/out/bin/cleanroom"
