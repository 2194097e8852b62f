#!/usr/bin/env bash
# Registry pull benchmark: a 100 MB, 5-layer image from docker-registry on 127.0.0.1, pulled by `skopeo copy` to an
# OCI directory and by Cleanroom's puller (with and without unpacking), in one run; prints medians and ratios.
# Loopback only: the registry is the fixture's own, on 127.0.0.1 and a free port. Needs docker-registry and skopeo.
# usage: bench/registry.sh [RUNS] [--phases]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
dotnet build bench/Cleanroom.Registry.Bench -c Release -o out/registry-bench --nologo -v quiet -clp:ErrorsOnly >&2
dotnet out/registry-bench/Cleanroom.Registry.Bench.dll "${@:-5}"
