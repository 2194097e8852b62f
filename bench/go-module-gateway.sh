#!/usr/bin/env bash
# Go module gateway benchmark (issue 18): `go mod download` of a module requiring MODULES modules in a gVisor sandbox of
# the debian-go image (Debian's go 1.19), through the gateway's /go/ route with the host's cache empty (cold) and filled
# (warm), against the same download straight from the sandbox to the proxy (its policy allows proxy.bench:8080).
# The upstream is the benchmark's own: a static GOPROXY tree (list, info, mod, and zips made with zip) served by busybox
# httpd in a network namespace at 198.18.203.2:8080, named proxy.bench through the server's network.dns.hosts. Traffic
# goes nowhere else. The checksum database is left out here (GONOSUMDB=bench.test, the benchmark's own modules only):
# this measures transfer and cache; GoModuleGatewayEndToEndTests covers the checksum database through the gateway.
# Each row is timed inside the guest (date +%s%N around go), each run with an empty module cache of its own; medians of
# RUNS, rows alternating.
# usage: bench/go-module-gateway.sh [RUNS] [MODULES]   (needs root, scripts/setup.sh, out/bin/cleanroom,
#        out/images/debian-go.tar from scripts/build-images.sh out/images debian-go)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
[ -x out/bin/cleanroom ] && [ -f out/images/debian-go.tar ] || die "run scripts/setup.sh and scripts/build-images.sh out/images debian-go first"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, sandboxes)"
ensure_packages busybox-static zip
RUNS="${1:-5}"
MODULES="${2:-50}"

private="$(mktemp -d /tmp/cleanroom-gobench.XXXXXX)"
ns="crgob$$"
link="crgoh$$"
upstream=198.18.203.2
table="${GOBENCH_TABLE:-cleanroom_gobench$$}"
prefix="${GOBENCH_PREFIX:-crg}"
nflog="${GOBENCH_NFLOG:-$((41000 + $$ % 10000))}"
pool="${GOBENCH_POOL:-10.236.0.0/16}"
cr="$REPO_ROOT/out/bin/cleanroom"
httpd_pid=""
export XDG_RUNTIME_DIR="$private/run" XDG_STATE_HOME="$private/state" XDG_CONFIG_HOME="$private/config" XDG_CACHE_HOME="$private/cache"

cleanup() {
  local pid
  [ -n "${id:-}" ] && (cd "$private/policy" && "$cr" sandbox rm "$id" >/dev/null 2>&1) || true
  # The server this script started: the only process whose command line holds this run's private directory.
  for pid in $(pgrep -f "ready-on-stdout $private/" || true); do
    kill -TERM "$pid" 2>/dev/null || continue
    timeout 60 tail --pid="$pid" -f /dev/null || true
  done
  for left in $(runsc --root="$private/run/cleanroom/runsc" list -quiet 2>/dev/null || true); do
    runsc --root="$private/run/cleanroom/runsc" delete --force "$left" 2>/dev/null || true
  done
  nft delete table inet "$table" 2>/dev/null || true
  for left in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 { print $1 }'); do
    ip netns del "$left" 2>/dev/null || true
  done
  [ -n "$httpd_pid" ] && kill "$httpd_pid" 2>/dev/null && wait "$httpd_pid" 2>/dev/null || true
  ip link del "$link" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$private"
}
trap cleanup EXIT

# --- the modules: bench.test/app requires bench.test/m0 .. m(MODULES-1), a static GOPROXY tree ----------------------
www="$private/upstream/www"
work="$private/work"
echo "generating $MODULES modules..." >&2
requires=""
for ((i = 0; i < MODULES; i++)); do
  module="bench.test/m$i"
  mkdir -p "$www/$module/@v" "$work/$module@v1.0.0"
  printf 'module %s\n\ngo 1.19\n' "$module" > "$work/$module@v1.0.0/go.mod"
  # 64 KiB of source each, so that a zip is a real transfer and not only a request.
  { printf 'package m%d\n\nconst Data = "' "$i"; head -c 49152 /dev/urandom | base64 -w0; printf '"\n'; } > "$work/$module@v1.0.0/m.go"
  cp "$work/$module@v1.0.0/go.mod" "$www/$module/@v/v1.0.0.mod"
  # -D: no directory entries (a module zip holds files only, each under MODULE@VERSION/)
  (cd "$work" && zip -qrXD "$www/$module/@v/v1.0.0.zip" "$module@v1.0.0")
  printf 'v1.0.0\n' > "$www/$module/@v/list"
  printf '{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}' > "$www/$module/@v/v1.0.0.info"
  requires+="\t$module v1.0.0\n"
done
rm -rf "$work"

# --- the upstream: busybox httpd serving the tree, in its own namespace ---------------------------------------------
ip netns add "$ns"
ip link add "$link" type veth peer name up0 netns "$ns"
ip addr add 198.18.203.1/30 dev "$link"
ip link set "$link" up
ip -n "$ns" addr add "$upstream/30" dev up0
ip -n "$ns" link set up0 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via 198.18.203.1
ip netns exec "$ns" busybox httpd -f -p 8080 -h "$www" &
httpd_pid=$!

# --- a private server serving that proxy, and one sandbox allowed proxy.bench:8080 ----------------------------------
base="http://proxy.bench:8080/"
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom" "$private/policy"
cat > "$XDG_CONFIG_HOME/cleanroom/config.yaml" <<CONFIG
network:
  table: $table
  name_prefix: $prefix
  nflog_group: $nflog
  pool: $pool
  dns:
    hosts:
      proxy.bench: $upstream
warm_pool:
  size: 0
registries:
  go: [$base]
CONFIG
"$cr" serve --detach
image="$("$cr" image import cleanroom.local/debian-go:latest out/images/debian-go.tar)"
printf 'version: 1\nsandbox:\n  image:\n    ref: %s\n  network:\n    allow:\n      - proxy.bench:8080\n' "$image" > "$private/policy/cleanroom.yaml"
cd "$private/policy"
id="$("$cr" create)"
"$cr" exec --in "$id" -- bash -c "mkdir -p /tmp/app && printf 'module bench.test/app\n\ngo 1.19\n\nrequire (\n$requires)\n' > /tmp/app/go.mod"

# Milliseconds of one download in the guest, with a fresh module cache; "direct" skips the gateway.
guest_download() {
  local how="$1" proxy='$GOPROXY'
  [ "$how" = direct ] && proxy="$base"
  "$cr" exec --in "$id" -- bash -c "rm -rf /tmp/gopath && cd /tmp/app && export HOME=/root GOPATH=/tmp/gopath GOCACHE=/tmp/gocache GONOSUMDB=bench.test GOFLAGS=-mod=mod GOPROXY=$proxy && \
    s=\$(date +%s%N) && go mod download >/tmp/go.log 2>&1 \
    && e=\$(date +%s%N) && test -f /tmp/gopath/pkg/mod/cache/download/bench.test/m$((MODULES - 1))/@v/v1.0.0.zip && echo \$(((e - s) / 1000000))" \
    || { "$cr" exec --in "$id" -- tail -20 /tmp/go.log >&2; die "go mod download ($how) failed"; }
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

cold=() warm=() direct=()
for ((run = 1; run <= RUNS; run++)); do
  rm -rf "$XDG_CACHE_HOME/cleanroom/registry/go"
  cold+=("$(guest_download gateway)")
  warm+=("$(guest_download gateway)")
  direct+=("$(guest_download direct)")
  echo "run $run: cold ${cold[-1]} ms, warm ${warm[-1]} ms, direct ${direct[-1]} ms" >&2
done
c=$(printf '%s\n' "${cold[@]}" | median)
w=$(printf '%s\n' "${warm[@]}" | median)
d=$(printf '%s\n' "${direct[@]}" | median)
cached_bytes=$(du -sb "$XDG_CACHE_HOME/cleanroom/registry/go" | cut -f1)
echo "go mod download of $MODULES modules, medians of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  through the gateway, cache empty (cold):  $c ms"
echo "  through the gateway, cache filled (warm): $w ms   ($(awk -v w="$w" -v c="$c" 'BEGIN { printf "%.2f", w / c }')x of cold)"
echo "  straight to the proxy from the sandbox:   $d ms"
echo "  cache: $cached_bytes bytes for the $MODULES modules"
