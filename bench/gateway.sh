#!/usr/bin/env bash
# Host gateway benchmark (issue 16): git through the gateway against git straight to the same upstream, in one run.
# The upstream is the benchmark's own: `git http-backend` (CGI of busybox httpd, HTTP Basic token) in a network
# namespace at 198.18.201.2:8080, named git.bench through the server's network.dns.hosts. Traffic goes nowhere else.
# Repositories: "repo" (3000 commits, 3000 small files, plus one 64 MiB random blob), generated with git fast-import;
# "blob" (one commit holding only that blob) for throughput. Rows (medians of RUNS):
#   clone repo through the gateway, mirror miss (the host's mirror removed before each run) and mirror hit, each
#   against `git clone` of the same upstream directly from the host (the issue's baseline) and against the same
#   clone from inside the sandbox straight to the upstream (its policy allows git.bench:8080; the token is put in
#   the guest for that row only, which the gateway exists to avoid);
#   the blob's throughput through the gateway (mirror hit) against the sandbox's direct connection (target >= 0.8x).
# Guest rows are timed inside the guest (date +%s%N around git), host rows on the host: no CLI round trip counted.
# usage: bench/gateway.sh [RUNS]   (needs root, scripts/setup.sh, out/bin/cleanroom)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
[ -x out/bin/cleanroom ] && [ -f examples/basic/cleanroom.yaml ] || die "run scripts/setup.sh first"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, sandboxes)"
ensure_packages busybox-static git
RUNS="${1:-3}"

private="$(mktemp -d /tmp/cleanroom-gwbench.XXXXXX)"
ns="crgwb$$"
link="crgwh$$"
upstream=198.18.201.2
# The server's own table, names, log group and pool (overridable, so a run never meets another server's).
table="${GWBENCH_TABLE:-cleanroom_gwbench$$}"
prefix="${GWBENCH_PREFIX:-cgb}"
nflog="${GWBENCH_NFLOG:-$((30000 + $$ % 10000))}"
pool="${GWBENCH_POOL:-10.236.0.0/16}"
cr="$REPO_ROOT/out/bin/cleanroom"
httpd_pid=""
export XDG_RUNTIME_DIR="$private/run" XDG_STATE_HOME="$private/state" XDG_CONFIG_HOME="$private/config" XDG_CACHE_HOME="$private/cache"
token="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cleanup() {
  local pid
  [ -n "${id:-}" ] && (cd "$private/policy" && "$cr" sandbox rm "$id" >/dev/null 2>&1) || true
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

host_git() { GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git "$@"; }

# --- the repositories --------------------------------------------------------------------------------------------
echo "generating the repositories..." >&2
repos="$private/upstream/repos/bench"
mkdir -p "$repos"
host_git init -q --bare -b main "$repos/repo.git"
host_git init -q --bare -b main "$repos/blob.git"
head -c 64M /dev/urandom > "$private/large.bin"
blob_in_repo="$(host_git --git-dir="$repos/repo.git" hash-object -w "$private/large.bin")"
host_git --git-dir="$repos/blob.git" hash-object -w "$private/large.bin" >/dev/null
rm "$private/large.bin"
# 3000 commits, each adding one file (60 lines) and changing an earlier one; the last adds the large blob.
{
  for ((i = 1; i <= 3000; i++)); do
    printf 'commit refs/heads/main\ncommitter Bench <bench@example.test> %d +0000\ndata <<END\ncommit %d\nEND\n' $((1700000000 + i)) "$i"
    printf 'M 100644 inline src/d%02d/file%04d.txt\ndata <<END\n' $((i % 60)) "$i"
    for ((l = 0; l < 60; l++)); do printf 'line %d of file %d: the quick brown fox jumps over the lazy dog\n' "$l" "$i"; done
    printf 'END\n'
    if ((i > 1)); then
      printf 'M 100644 inline src/d%02d/file%04d.txt\ndata <<END\nfile %d rewritten in commit %d\nEND\n' $(((i / 2) % 60)) $((i / 2)) $((i / 2)) "$i"
    fi
  done
  printf 'commit refs/heads/main\ncommitter Bench <bench@example.test> 1700009999 +0000\ndata <<END\nlarge blob\nEND\nM 100644 %s assets/large.bin\n' "$blob_in_repo"
} | host_git --git-dir="$repos/repo.git" fast-import --quiet
printf 'commit refs/heads/main\ncommitter Bench <bench@example.test> 1700000000 +0000\ndata <<END\nlarge blob\nEND\nM 100644 %s large.bin\n' "$blob_in_repo" \
  | host_git --git-dir="$repos/blob.git" fast-import --quiet
for r in repo blob; do host_git --git-dir="$repos/$r.git" repack -adq; done
repo_mib=$(du -sm "$repos/repo.git" | cut -f1)
echo "repo: $(host_git --git-dir="$repos/repo.git" rev-list --count main) commits, $(host_git --git-dir="$repos/repo.git" ls-tree -r main | wc -l) files, ${repo_mib} MiB packed" >&2

# --- the upstream: git http-backend behind busybox httpd in its own namespace ---------------------------------------
mkdir -p "$private/upstream/www/cgi-bin"
printf '#!/bin/sh\nexport GIT_PROJECT_ROOT=%s GIT_HTTP_EXPORT_ALL=1\nexec /usr/lib/git-core/git-http-backend\n' "$private/upstream/repos" > "$private/upstream/www/cgi-bin/git"
chmod 700 "$private/upstream/www/cgi-bin/git"
printf '/cgi-bin:x-access-token:%s\n' "$token" > "$private/upstream/httpd.conf"
ip netns add "$ns"
ip link add "$link" type veth peer name up0 netns "$ns"
ip addr add 198.18.201.1/30 dev "$link"
ip link set "$link" up
ip -n "$ns" addr add "$upstream/30" dev up0
ip -n "$ns" link set up0 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via 198.18.201.1
ip netns exec "$ns" busybox httpd -f -p 8080 -h "$private/upstream/www" -c "$private/upstream/httpd.conf" &
httpd_pid=$!

# --- a private server whose gateway holds the token, and one sandbox allowed git.bench:8080 -----------------------
printf '%s\n' "$token" > "$private/token"
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom" "$private/policy"
cat > "$XDG_CONFIG_HOME/cleanroom/config.yaml" <<EOF
network:
  table: $table
  name_prefix: $prefix
  nflog_group: $nflog
  pool: $pool
  dns:
    hosts:
      git.bench: $upstream
gateway:
  credentials:
    hosts:
      git.bench: {token_file: $private/token}
EOF
image="$(awk '$1 == "ref:" { print $2; exit }' examples/basic/cleanroom.yaml)"
printf 'version: 1\nsandbox:\n  image:\n    ref: %s\n  network:\n    allow:\n      - git.bench:8080\n' "$image" > "$private/policy/cleanroom.yaml"
"$cr" serve --detach
# The CLI runs from the policy's directory (outside any git checkout) from here on.
cd "$private/policy"
id="$("$cr" create)"

url() { echo "http://$1:8080/cgi-bin/git/bench/$2.git"; }
basic="$(printf 'x-access-token:%s' "$token" | base64 -w0)"
repo_mirror="$XDG_CACHE_HOME/cleanroom/gateway-mirrors/git.bench_8080/cgi-bin/git/bench/repo.git"

# Milliseconds of one clone in the guest: through the gateway (the system git config's insteadOf) or, with
# "direct", straight to the upstream with the token (system config skipped).
guest_clone() {
  local repository="$1" how="$2" command
  if [ "$how" = direct ]; then
    command="GIT_CONFIG_NOSYSTEM=1 git -c 'http.extraHeader=Authorization: Basic $basic' clone -q $(url git.bench "$repository") /tmp/c"
  else
    command="git clone -q $(url git.bench "$repository") /tmp/c"
  fi
  # The guest's own name lookups (git asks for its host name) are refused by the policy resolver: not news here.
  "$cr" exec --in "$id" 2> >(grep -v '^cleanroom: refused DNS' >&2) -- sh -c "rm -rf /tmp/c; s=\$(date +%s%N); $command || exit 1; e=\$(date +%s%N); rm -rf /tmp/c; echo \$(( (e - s) / 1000000 ))"
}
host_clone() {
  local s e
  rm -rf "$private/hc"
  s=$(date +%s%N)
  GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="Authorization: Basic $basic" host_git clone -q "$(url "$upstream" "$1")" "$private/hc"
  e=$(date +%s%N)
  rm -rf "$private/hc"
  echo $(((e - s) / 1000000))
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
measure() { # name command...: RUNS timings, echoes "median min max"
  local name="$1" t all=()
  shift
  for ((r = 0; r < RUNS; r++)); do
    t="$("$@")"
    all+=("$t")
  done
  echo "  $name: ${all[*]} ms" >&2
  echo "$(echo "${all[*]}" | median) $(printf '%s\n' "${all[@]}" | sort -n | head -1) $(printf '%s\n' "${all[@]}" | sort -n | tail -1)"
}
miss_clone() { rm -rf "$repo_mirror"; guest_clone repo gateway; }

echo "measuring ($RUNS runs each)..." >&2
read -r host_med host_min host_max < <(measure "host direct clone" host_clone repo)
read -r direct_med direct_min direct_max < <(measure "sandbox direct clone" guest_clone repo direct)
read -r miss_med miss_min miss_max < <(measure "gateway clone, mirror miss" miss_clone)
read -r hit_med hit_min hit_max < <(measure "gateway clone, mirror hit" guest_clone repo gateway)
guest_clone blob gateway >/dev/null   # the blob's mirror, filled once: its row measures serving
read -r blob_host _ _ < <(measure "blob host direct" host_clone blob)
read -r blob_direct _ _ < <(measure "blob sandbox direct" guest_clone blob direct)
read -r blob_gateway _ _ < <(measure "blob gateway (mirror hit)" guest_clone blob gateway)
audit="$XDG_STATE_HOME/cleanroom/audit/egress.jsonl"
hits=$(grep -c '"mirror":"hit"' "$audit" || true)
misses=$(grep -c '"mirror":"miss"' "$audit" || true)
echo "  audit: $misses fetches filled a mirror (miss), $hits were served from one (hit)" >&2
[ "$misses" -eq $((RUNS + 1)) ] && [ "$hits" -eq $((2 * RUNS)) ] || die "expected $((RUNS + 1)) mirror misses and $((2 * RUNS)) hits: the rows would not measure what they say"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
mbps() { awk -v ms="$1" 'BEGIN { printf "%.0f MB/s", 64 * 1.048576 / (ms / 1000) }'; }
echo "### Host gateway (git), ${repo_mib} MiB repository: 3000 commits, 3000 files, one 64 MiB blob"
echo
echo "| measure | cleanroom | baseline (same run) | ratio | target |"
echo "| --- | --- | --- | --- | --- |"
echo "| clone through the gateway, mirror miss | median $miss_med ms (min $miss_min, max $miss_max, n=$RUNS) | host git clone, same upstream: median $host_med ms | $(ratio "$miss_med" "$host_med") | - |"
echo "| clone through the gateway, mirror hit | median $hit_med ms (min $hit_min, max $hit_max, n=$RUNS) | host git clone, same upstream: median $host_med ms | $(ratio "$hit_med" "$host_med") | - |"
echo "| clone through the gateway, mirror hit | median $hit_med ms | sandbox git clone straight to the upstream: median $direct_med ms (min $direct_min, max $direct_max) | $(ratio "$hit_med" "$direct_med") | - |"
echo "| 64 MiB blob through the gateway (mirror hit) | $(mbps "$blob_gateway") | sandbox direct: $(mbps "$blob_direct"); host direct: $(mbps "$blob_host") | $(ratio "$blob_direct" "$blob_gateway") of sandbox direct | >= 0.8x |"
