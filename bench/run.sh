#!/usr/bin/env bash
# Runs the benchmark program against private servers (their own sockets and state, this host's images), after
# scripts/setup.sh. Prints Markdown tables: Cleanroom next to a raw baseline measured in the same run, every gVisor
# row once per gVisor platform, side by side.
# usage: bench/run.sh [RUNS] [--only qemu|exec|sessions|restart|density|suspend|transport]   (density: RUNS idle sandboxes, e.g. 100)
# suspend: suspend and resume of a sandbox (servers on gVisor's own network stack, which runsc can checkpoint)
# transport: API exec over HTTPS with a JWT against the unix socket, and exec --rm with OTLP export on against off
# Two phases: warm pool off (cold starts), then the defaults (warm pool on). Each phase runs one server per gVisor
# platform (systrap, ptrace; each named in its server's runtime config, so a platform that cannot run fails the
# server's start instead of being replaced). The qemu row boots a raw baseline whose /init is Debian's busybox-static.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
[ -x out/bin/cleanroom ] && [ -f examples/basic/cleanroom.yaml ] || die "run scripts/setup.sh first"
ensure_packages busybox-static
dotnet build bench/Cleanroom.Bench -c Release -o out/bench --nologo -v quiet -clp:ErrorsOnly >&2

PLATFORMS=(systrap ptrace)
private="$(mktemp -d /tmp/cleanroom-bench.XXXXXX)"
table="cleanroom_bench$$"
# One server's directories; each has its own nftables table, names, log group and pool, so the servers never touch
# each other or a user's server on this host. The pools (10.234-235) are outside the default (10.213) and the
# range the end-to-end tests' servers draw from (10.216-231), which may run on this host at the same time.
use_server() {
  export XDG_RUNTIME_DIR="$private/$1/run" XDG_STATE_HOME="$private/$1/state" XDG_CONFIG_HOME="$private/$1/config"
}
start_servers() {
  local extra="$1" gvisor_extra="${2:-}" i=0 platform
  for platform in "${PLATFORMS[@]}"; do
    use_server "$platform"
    mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom"
    printf 'network:\n  table: %s_%s\n  name_prefix: crb%s\n  nflog_group: %s\n  pool: 10.%s.0.0/16\n%sbackends:\n  gvisor:\n    platform: %s\n%s' \
      "$table" "$i" "$i" "$((40000 + $$ % 20000 + i))" "$((234 + i))" "$extra" "$platform" "$gvisor_extra" > "$XDG_CONFIG_HOME/cleanroom/config.yaml"
    out/bin/cleanroom serve --detach
    # Figures without the network (namespace, link, firewall) would flatter every row: refuse to measure them.
    if grep -q "egress enforcement is unavailable" "$XDG_STATE_HOME/cleanroom/server.log"; then
      die "the $platform server runs without egress enforcement: $(grep "egress enforcement is unavailable" "$XDG_STATE_HOME/cleanroom/server.log")"
    fi
    i=$((i + 1))
  done
  use_server "${PLATFORMS[0]}"   # the qemu row's doctor and CLI run with the first server's config
}
stop_servers() {
  local pid
  for pid in $(pgrep -f "ready-on-stdout $private/" || true); do
    kill -TERM "$pid" 2>/dev/null || continue
    timeout 60 tail --pid="$pid" -f /dev/null || true   # waits for that exit, no polling
  done
}
cleanup() {
  local pid i platform
  stop_servers
  # A graceful stop leaves READY sandboxes for the next start; these servers have none: remove what a failed run left.
  for platform in "${PLATFORMS[@]}"; do
    for id in $(runsc --root="$private/$platform/run/cleanroom/runsc" list -quiet 2>/dev/null || true); do
      runsc --root="$private/$platform/run/cleanroom/runsc" delete --force "$id" 2>/dev/null || true
    done
  done
  # A VM whose server ended before terminating it (a failed run) still names its run directory under ours.
  for pid in $(pgrep -f -- "-pidfile $private/" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for i in "${!PLATFORMS[@]}"; do   # a server leaves its table for the next one; these have none
    nft delete table inet "${table}_$i" 2>/dev/null || true
    for ns in $(ip netns list | awk -v p="crb$i-" 'index($1, p) == 1 { print $1 }'); do
      ip netns del "$ns" 2>/dev/null || true
    done
  done
  rm -rf "$private"
}
trap cleanup EXIT
# The policy outside any git checkout, so the time-to-interactive row measures a sandbox and a command, not a
# copy of this repository; the --checkout row measures the same in this checkout (HEAD materialised).
mkdir -p "$private/policy" && cp examples/basic/cleanroom.yaml "$private/policy/"
bench() {
  local servers=() platform
  for platform in "${PLATFORMS[@]}"; do
    servers+=(--server "$platform=$private/$platform/run/cleanroom/cleanroom.sock")
  done
  dotnet out/bench/Cleanroom.Bench.dll "$REPO_ROOT/out/bin/cleanroom" "$private/policy" "${RUNS}" \
    --checkout "$REPO_ROOT/examples/basic" "${servers[@]}" "$@"
}
RUNS="${1:-10}"
if [ "${2:-}" = "--only" ] && [ "${3:-}" = "transport" ]; then
  # Its servers are the program's own (an https listener with OIDC; OTLP export on and off).
  dotnet out/bench/Cleanroom.Bench.dll "$REPO_ROOT/out/bin/cleanroom" "$private/policy" "${RUNS}" --only transport
  exit
fi
if [ "${2:-}" = "--only" ] && [ "${3:-}" = "suspend" ]; then
  start_servers $'warm_pool:\n  size: 0\n' $'    network_stack: sandbox\n'
  bench --phase cold "${@:2}"
  exit
fi
if [ "${2:-}" = "--only" ]; then
  start_servers ""
  bench --phase cold "${@:2}"
  exit
fi
# Servers in turn: every sandbox started from nothing, then the defaults (a spare kept warm for the latest spec).
start_servers $'warm_pool:\n  size: 0\n'
bench --phase cold
stop_servers
start_servers ""
bench --phase warm
