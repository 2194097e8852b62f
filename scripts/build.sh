#!/usr/bin/env bash
# Builds the cleanroom executable (the CLI and the server behind `cleanroom serve`) with NativeAOT and leaves it at
# out/bin/cleanroom. About 90 s from a clean tree on a 2-core machine (ReadyToRun took 60 s); a few seconds when
# nothing changed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
require_dotnet
ensure_packages "${NATIVE_BUILD_PACKAGES[@]}"
cd "$REPO_ROOT"
log "building out/bin/cleanroom (NativeAOT)"
# NativeAOT, not ReadyToRun: a short command was mostly .NET starting and the JIT compiling the gRPC client. Against a
# warm server on the 2-core VM (medians): status 127 -> 15 ms, exec --in ID -- true 149 -> 45 ms, exec --rm -- true
# 390 -> 254 ms (README, Performance). The binary needs only libc, libm and the loader (and libe_sqlite3.so beside it).
# Published to a staging directory that then replaces out/bin whole, so nothing of an earlier publish (the
# framework-dependent build's dlls and runtimeconfig) lingers, and a running server keeps its own binary.
staging="out/bin.staging.$$"
trap 'rm -rf "$staging"' EXIT
rm -rf "$staging"
dotnet publish src/Cleanroom.Cli/Cleanroom.Cli.csproj -c Release -r linux-x64 -p:PublishAot=true \
  -o "$staging" --nologo -v quiet -clp:ErrorsOnly >&2
[ -x "$staging/cleanroom" ] || die "build finished but $staging/cleanroom is missing"
rm -rf out/bin
mv "$staging" out/bin
trap - EXIT
[ -x out/bin/cleanroom ] || die "build finished but out/bin/cleanroom is missing"
