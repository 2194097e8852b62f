#!/usr/bin/env bash
# Block cache benchmark (issue 17): a create whose dependency block installs a few hundred packages from a local
# registry, cache miss against cache hit, in one run. The registry is the benchmark's own: busybox httpd in a network
# namespace at 198.18.203.2:8080 (named registry.bench through the server's network.dns.hosts) serving 300 package
# tarballs of 3 files each. Traffic goes nowhere else. The block fetches them in one curl (URL globbing, one
# connection, like a package manager's keep-alive) and unpacks each: 900 files under vendor/.
# Rows (medians of RUNS): the whole `cleanroom create` (to READY, workspace upload included) and the dependencies
# stage alone (its own duration, from the server's sandbox.stage event), a miss (lock.txt changed and committed before
# each run, so the key is new) against a hit (the same commit again). Target: hit at most 0.2x of miss.
# usage: bench/block-cache.sh [RUNS]   (needs root, scripts/setup.sh, out/bin/cleanroom)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
[ -x out/bin/cleanroom ] && [ -f examples/basic/cleanroom.yaml ] || die "run scripts/setup.sh first"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, sandboxes)"
ensure_packages busybox-static git
RUNS="${1:-5}"
BACKEND="${BACKEND:-gvisor}"

private="$(mktemp -d /tmp/cleanroom-bcbench.XXXXXX)"
ns="crbcb$$"
link="crbch$$"
upstream=198.18.203.2
table="${BCBENCH_TABLE:-cleanroom_bcbench$$}"
prefix="${BCBENCH_PREFIX:-cbc}"
nflog="${BCBENCH_NFLOG:-$((40000 + $$ % 10000))}"
pool="${BCBENCH_POOL:-10.237.0.0/16}"
cr="$REPO_ROOT/out/bin/cleanroom"
httpd_pid=""
export XDG_RUNTIME_DIR="$private/run" XDG_STATE_HOME="$private/state" XDG_CONFIG_HOME="$private/config" XDG_CACHE_HOME="$private/cache"

cleanup() {
  local pid left
  for left in $("$cr" sandbox ls --json 2>/dev/null | sed -n 's/.*"sandbox_id": *"\([^"]*\)".*/\1/p'); do
    "$cr" sandbox rm "$left" >/dev/null 2>&1 || true
  done
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

# --- the registry: 300 package tarballs ------------------------------------------------------------------------
echo "generating the registry..." >&2
mkdir -p "$private/registry/pkgs" "$private/pkg"
for ((i = 1; i <= 300; i++)); do
  rm -rf "$private/pkg"/*
  mkdir -p "$private/pkg/pkg$i/lib"
  printf '{"name": "pkg%d", "version": "1.0.%d"}\n' "$i" "$i" > "$private/pkg/pkg$i/package.json"
  head -c 2048 /dev/urandom | base64 > "$private/pkg/pkg$i/lib/index.js"
  head -c 1024 /dev/urandom | base64 > "$private/pkg/pkg$i/README.md"
  tar -czf "$private/registry/pkgs/pkg$i.tgz" -C "$private/pkg" "pkg$i"
done
ip netns add "$ns"
ip link add "$link" type veth peer name up0 netns "$ns"
ip addr add 198.18.203.1/30 dev "$link"
ip link set "$link" up
ip -n "$ns" addr add "$upstream/30" dev up0
ip -n "$ns" link set up0 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via 198.18.203.1
ip netns exec "$ns" busybox httpd -f -p 8080 -h "$private/registry" &
httpd_pid=$!

# --- a private server and a repository with one cached dependency block ------------------------------------------
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom" "$private/repo"
cat > "$XDG_CONFIG_HOME/cleanroom/config.yaml" <<EOF
network:
  table: $table
  name_prefix: $prefix
  nflog_group: $nflog
  pool: $pool
  dns:
    hosts:
      registry.bench: $upstream
warm_pool:
  size: 0
EOF
image="$(awk '$1 == "ref:" { print $2; exit }' examples/basic/cleanroom.yaml)"
cat > "$private/repo/cleanroom.yaml" <<EOF
version: 1
sandbox:
  image:
    ref: $image
  network:
    dependencies:
      allow:
        - registry.bench:8080
  dependencies:
    - name: install
      command: mkdir -p /tmp/dl vendor && curl -sS -f -o "/tmp/dl/pkg#1.tgz" "http://registry.bench:8080/pkgs/pkg[1-300].tgz" && for f in /tmp/dl/*.tgz; do tar -xzf "\$f" -C vendor || exit 1; done
      inputs:
        files: [lock.txt]
      outputs:
        dirs: [vendor]
EOF
echo 0 > "$private/repo/lock.txt"
git_repo() { git -C "$private/repo" -c user.name=Bench -c user.email=bench@example.test "$@"; }
git init -q "$private/repo"
git_repo add .
git_repo commit -qm init
"$cr" serve --detach

# Milliseconds of one create (to READY) and of its dependencies stage (the server's own figure); the sandbox is
# removed after. Prints "CREATE_MS STAGE_MS STATE" where STATE is what the block did (succeeded / restored).
create_once() {
  local s e out id stage state
  s=$(date +%s%N)
  out="$("$cr" create --backend "$BACKEND" --chdir "$private/repo" 2>"$private/stderr")" || { cat "$private/stderr" >&2; exit 1; }
  e=$(date +%s%N)
  id="$out"
  stage="$(sed -n 's/.*dependencies stage succeeded in \([0-9]*\) ms.*/\1/p' "$private/stderr" | tail -1)"
  state="$(grep -o "block 'install' \(succeeded\|restored\)" "$private/stderr" | tail -1 | awk '{print $3}')"
  grep -q "outputs not cached" "$private/stderr" && { cat "$private/stderr" >&2; die "the block's outputs were not cached"; }
  "$cr" sandbox rm "$id" >/dev/null
  echo "$(((e - s) / 1000000)) ${stage:-0} $state"
}
miss() { echo "$RANDOM$RANDOM" > "$private/repo/lock.txt"; git_repo commit -qam bump; create_once; }
hit() { create_once; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "measuring ($RUNS runs each, backend $BACKEND; a miss then a hit of the same commit, alternating)..." >&2
create_once >/dev/null   # the first sandbox of this server pays one-time costs; measured rows come after it
miss_create=() miss_stage=() hit_create=() hit_stage=()
for ((r = 0; r < RUNS; r++)); do
  read -r c st state < <(miss)
  [ "$state" = succeeded ] || die "a miss did not run the block ($state)"
  miss_create+=("$c") miss_stage+=("$st")
  read -r c st state < <(hit)
  [ "$state" = restored ] || die "a hit did not restore the outputs ($state)"
  hit_create+=("$c") hit_stage+=("$st")
done
echo "  miss: create ${miss_create[*]} ms, stage ${miss_stage[*]} ms" >&2
echo "  hit:  create ${hit_create[*]} ms, stage ${hit_stage[*]} ms" >&2
mc=$(echo "${miss_create[*]}" | median) ms=$(echo "${miss_stage[*]}" | median)
hc=$(echo "${hit_create[*]}" | median) hs=$(echo "${hit_stage[*]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "### Block cache ($BACKEND): dependency block installing 300 packages (900 files) from a local registry"
echo
echo "| measure | cache hit | cache miss (same run) | ratio | target |"
echo "| --- | --- | --- | --- | --- |"
echo "| dependencies stage | median $hs ms | median $ms ms | $(ratio "$hs" "$ms") | <= 0.2x |"
echo "| whole create, to READY | median $hc ms | median $mc ms | $(ratio "$hc" "$mc") | - |"
