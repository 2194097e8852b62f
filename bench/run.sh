#!/usr/bin/env bash
# Runs the benchmark program against a private server (its own socket and state, this host's images),
# after scripts/setup.sh. Prints a Markdown table: Cleanroom next to a raw baseline measured in the same run.
# usage: bench/run.sh [RUNS] [--only qemu|exec|tti]
# --only tti runs both phases with the time-to-interactive rows alone. CLEANROOM_BIN picks another build of the
# cleanroom binary (server and client), e.g. a build of an earlier commit for a before/after comparison.
# Two phases, each with its own server: warm pool off (cold starts), then the defaults (warm pool on).
# The qemu row boots a raw baseline whose /init is Debian's busybox-static.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
cleanroom_bin="${CLEANROOM_BIN:-$REPO_ROOT/out/bin/cleanroom}"
[ -x "$cleanroom_bin" ] && [ -f examples/basic/cleanroom.yaml ] || die "run scripts/setup.sh first"
ensure_packages busybox-static
dotnet build bench/Cleanroom.Bench -c Release -o out/bench --nologo -v quiet -clp:ErrorsOnly >&2

private="$(mktemp -d /tmp/cleanroom-bench.XXXXXX)"
export XDG_RUNTIME_DIR="$private/run" XDG_STATE_HOME="$private/state" XDG_CONFIG_HOME="$private/config"
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom"
# Its own nftables table, names and log group, so a user's server on this host is never touched.
table="cleanroom_bench$$"
# The log group from this script's pid: two runs at once (another checkout's) must not share one, or the second
# server's NFLOG bind is refused and it serves without enforcement (checked below).
network_config="$(printf 'network:\n  table: %s\n  name_prefix: crb\n  nflog_group: %d\n  pool: 10.230.0.0/16\n' "$table" $((20000 + $$ % 40000)))"
start_server() {
  "$cleanroom_bin" serve --detach
  # Figures without the network (namespace, link, firewall) would flatter every row: refuse to measure them.
  if grep -q "egress enforcement is unavailable" "$XDG_STATE_HOME/cleanroom/server.log"; then
    die "the server runs without egress enforcement: $(grep "egress enforcement is unavailable" "$XDG_STATE_HOME/cleanroom/server.log")"
  fi
}
stop_server() {
  local pid
  for pid in $(pgrep -f "ready-on-stdout $private/" || true); do
    kill -TERM "$pid" 2>/dev/null || continue
    timeout 60 tail --pid="$pid" -f /dev/null || true   # waits for that exit, no polling
  done
}
cleanup() {
  local pid
  stop_server
  # A VM whose server ended before terminating it (a failed run) still names its run directory under ours.
  for pid in $(pgrep -f -- "-pidfile $private/" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  nft delete table inet "$table" 2>/dev/null || true   # a server leaves its table for the next one; this one has none
  rm -rf "$private"
}
trap cleanup EXIT
# The policy outside any git checkout, so the time-to-interactive row measures a sandbox and a command, not a
# copy of this repository; the --checkout row measures the same in this checkout (HEAD materialised).
mkdir -p "$private/policy" && cp examples/basic/cleanroom.yaml "$private/policy/"
bench() {
  dotnet out/bench/Cleanroom.Bench.dll "$cleanroom_bin" "$XDG_RUNTIME_DIR/cleanroom/cleanroom.sock" "$private/policy" "${RUNS}" \
    --checkout "$REPO_ROOT/examples/basic" "$@"
}
RUNS="${1:-10}"
if [ "${2:-}" = "--only" ] && [ "${3:-}" != "tti" ]; then
  printf '%s\n' "$network_config" > "$XDG_CONFIG_HOME/cleanroom/config.yaml"
  start_server
  bench --phase cold "${@:2}"
  exit
fi
# Two servers in turn: every sandbox started from nothing, then the defaults (a spare kept warm for the latest spec).
printf '%s\nwarm_pool:\n  size: 0\n' "$network_config" > "$XDG_CONFIG_HOME/cleanroom/config.yaml"
start_server
bench --phase cold "${@:2}"
stop_server
printf '%s\n' "$network_config" > "$XDG_CONFIG_HOME/cleanroom/config.yaml"
start_server
bench --phase warm "${@:2}"
