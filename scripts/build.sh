#!/usr/bin/env bash
# Builds the cleanroom executable and leaves a runnable apphost at out/bin/cleanroom.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_dotnet
cd "$REPO_ROOT"
log "building out/bin/cleanroom"
dotnet build src/Cleanroom.Cli/Cleanroom.Cli.csproj -c Release -o out/bin --nologo -v quiet -clp:ErrorsOnly >&2
[ -x out/bin/cleanroom ] || die "build finished but out/bin/cleanroom is missing"
