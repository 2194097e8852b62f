#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds, runs each test project, and ends with one
# summary line "N passed, M failed, K skipped" (counted from the test result files, so nothing is guessed).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
"$REPO_ROOT/scripts/setup.sh" || die "setup failed"
cd "$REPO_ROOT"

ensure_packages "${TEST_PACKAGES[@]}"

# The Docker tests run dockerd in a sandbox of this image (setup leaves it out: the main job does not need it).
build_and_import_image debian-docker || die "the debian-docker image did not build"
# The registry gateway's tests run Debian's npm and pip in a sandbox of this image.
build_and_import_image debian-registry || die "the debian-registry image did not build"
# The Go module and download routes' tests run Debian's go and curl in a sandbox of this image.
build_and_import_image debian-go || die "the debian-go image did not build"

# The TypeScript example (connect-es) runs against a test server and checks our wire protocols from outside .NET.
command -v npm >/dev/null || ensure_packages nodejs npm
log "npm ci (examples/typescript)"
npm ci --prefix examples/typescript --no-audit --no-fund --loglevel=error >&2 || die "npm ci in examples/typescript failed"

# The qemu tests boot the guest kernel: wait for setup's background build (or build it here if none runs).
log "waiting for the guest kernel (scripts/build-kernel.sh)"
scripts/build-kernel.sh >/dev/null || die "the guest kernel did not build; see $(kernel_build_log)"

results="$REPO_ROOT/out/test-results"
rm -rf "$results"
mkdir -p "$results"

log "dotnet build"
# Built first, with every core: `dotnet test -m:1` would otherwise also build one project at a time.
if ! dotnet build Cleanroom.slnx -c Release --nologo -v quiet; then
  log "the solution did not build"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

log "dotnet test"
# One test project at a time (-m:1): several projects start sandboxes, VMs under emulation, network namespaces,
# nftables tables and NFLOG readers, and timing-sensitive cases (a VM's DNS lookup) failed when they overlapped.
dotnet test Cleanroom.slnx -c Release --nologo --no-build -m:1 --logger "trx" --results-directory "$results" -v quiet
status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
# A project that failed to build or crashed leaves no result file of its own: count it as a failure.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  log "dotnet test exited with $status without a failed test: a build or host failure"
  failed=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
