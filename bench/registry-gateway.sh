#!/usr/bin/env bash
# Registry gateway benchmark (issue 18): `npm install` of one package with PACKAGES dependencies in a gVisor sandbox of
# the debian-registry image (Debian's npm), through the gateway with the host's package cache empty (cold) and filled
# (warm), against the same install straight from the sandbox to the upstream (its policy allows npm.bench:8080).
# The upstream is the benchmark's own: a static npm layout (documents and tarballs made with tar) behind a small CGI
# program of busybox httpd, in a network namespace at 198.18.202.2:8080, named npm.bench through the server's
# network.dns.hosts. Traffic goes nowhere else. DELAY_MS (default 0) makes the upstream wait that long before each
# answer, as a registry further away than this host's own namespace would.
# Each row is timed inside the guest (date +%s%N around npm), each run with an empty npm cache of its own and no
# node_modules; medians of RUNS, rows alternating.
# usage: bench/registry-gateway.sh [RUNS] [PACKAGES]   (needs root, scripts/setup.sh, out/bin/cleanroom,
#        out/images/debian-registry.tar from scripts/build-images.sh out/images debian-registry)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$REPO_ROOT"
[ -x out/bin/cleanroom ] && [ -f out/images/debian-registry.tar ] || die "run scripts/setup.sh and scripts/build-images.sh out/images debian-registry first"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, sandboxes)"
ensure_packages busybox-static openssl
RUNS="${1:-5}"
PACKAGES="${2:-100}"
DELAY_MS="${DELAY_MS:-0}"

private="$(mktemp -d /tmp/cleanroom-regbench.XXXXXX)"
ns="crrgb$$"
link="crrgh$$"
upstream=198.18.202.2
table="${REGBENCH_TABLE:-cleanroom_regbench$$}"
prefix="${REGBENCH_PREFIX:-crb}"
nflog="${REGBENCH_NFLOG:-$((31000 + $$ % 10000))}"
pool="${REGBENCH_POOL:-10.237.0.0/16}"
cr="$REPO_ROOT/out/bin/cleanroom"
httpd_pid=""
export XDG_RUNTIME_DIR="$private/run" XDG_STATE_HOME="$private/state" XDG_CONFIG_HOME="$private/config" XDG_CACHE_HOME="$private/cache"

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

# --- the packages: bench-app depending on bench-dep-0 .. bench-dep-(PACKAGES-1) -------------------------------------
base="http://npm.bench:8080/cgi-bin/npm/"
npm_root="$private/upstream/npm"
mkdir -p "$npm_root/docs" "$npm_root/tarballs" "$private/upstream/www/cgi-bin"
package() { # NAME DEPENDENCIES-JSON
  local name="$1" deps="$2" work="$private/work/$1"
  mkdir -p "$work/package"
  printf '{"name":"%s","version":"1.0.0","main":"index.js","dependencies":%s}' "$name" "$deps" > "$work/package/package.json"
  printf 'module.exports = "%s";\n' "$name" > "$work/package/index.js"
  tar -czf "$npm_root/tarballs/$name-1.0.0.tgz" -C "$work" package
  rm -rf "$work"
  local integrity shasum
  integrity="sha512-$(openssl dgst -sha512 -binary "$npm_root/tarballs/$name-1.0.0.tgz" | base64 -w0)"
  shasum="$(sha1sum "$npm_root/tarballs/$name-1.0.0.tgz" | cut -d' ' -f1)"
  printf '{"name":"%s","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"%s","version":"1.0.0","dependencies":%s,"dist":{"tarball":"%s%s/-/%s-1.0.0.tgz","integrity":"%s","shasum":"%s"}}}}' \
    "$name" "$name" "$deps" "$base" "$name" "$name" "$integrity" "$shasum" > "$npm_root/docs/$name.json"
}
echo "generating $PACKAGES packages..." >&2
deps="{"
for ((i = 0; i < PACKAGES; i++)); do
  package "bench-dep-$i" "{}"
  deps+="\"bench-dep-$i\":\"^1.0.0\""
  ((i + 1 < PACKAGES)) && deps+=","
done
package bench-app "$deps}"

# --- the upstream: the static layout behind busybox httpd's CGI, in its own namespace -------------------------------
sleep_line=""
[ "$DELAY_MS" -gt 0 ] && sleep_line="sleep $(printf '%d.%03d' $((DELAY_MS / 1000)) $((DELAY_MS % 1000)))"
cat > "$private/upstream/www/cgi-bin/npm" <<EOF
#!/bin/sh
$sleep_line
root=$npm_root
case "\$PATH_INFO" in
  */-/*.tgz) file="\$root/tarballs/\${PATH_INFO##*/}"; type=application/octet-stream ;;
  *) file="\$root/docs/\${PATH_INFO#/}.json"; type=application/json ;;
esac
if [ -f "\$file" ]; then printf 'Content-Type: %s\r\n\r\n' "\$type"; cat "\$file";
else printf 'HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot found\n'; fi
EOF
chmod 700 "$private/upstream/www/cgi-bin/npm"
ip netns add "$ns"
ip link add "$link" type veth peer name up0 netns "$ns"
ip addr add 198.18.202.1/30 dev "$link"
ip link set "$link" up
ip -n "$ns" addr add "$upstream/30" dev up0
ip -n "$ns" link set up0 up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via 198.18.202.1
ip netns exec "$ns" busybox httpd -f -p 8080 -h "$private/upstream/www" &
httpd_pid=$!

# --- a private server serving that registry, and one sandbox allowed npm.bench:8080 ---------------------------------
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/cleanroom" "$private/policy"
cat > "$XDG_CONFIG_HOME/cleanroom/config.yaml" <<EOF
network:
  table: $table
  name_prefix: $prefix
  nflog_group: $nflog
  pool: $pool
  dns:
    hosts:
      npm.bench: $upstream
warm_pool:
  size: 0
registries:
  npm: [$base]
EOF
"$cr" serve --detach
image="$("$cr" image import cleanroom.local/debian-registry:latest out/images/debian-registry.tar)"
printf 'version: 1\nsandbox:\n  image:\n    ref: %s\n  network:\n    allow:\n      - npm.bench:8080\n' "$image" > "$private/policy/cleanroom.yaml"
cd "$private/policy"
id="$("$cr" create)"

# Milliseconds of one install in the guest, with a fresh npm cache and project; "direct" skips the gateway.
guest_install() {
  local how="$1" registry='$npm_config_registry'
  [ "$how" = direct ] && registry="$base"
  "$cr" exec --in "$id" -- bash -c "rm -rf /tmp/app /tmp/npmcache && mkdir -p /tmp/app && cd /tmp/app && \
    s=\$(date +%s%N) && npm install --no-audit --no-fund --no-update-notifier --cache /tmp/npmcache --registry $registry bench-app >/tmp/npm.log 2>&1 \
    && e=\$(date +%s%N) && test -f node_modules/bench-dep-$((PACKAGES - 1))/index.js && echo \$(((e - s) / 1000000))" \
    || { "$cr" exec --in "$id" -- tail -20 /tmp/npm.log >&2; die "npm install ($how) failed"; }
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

cold=() warm=() direct=()
for ((run = 1; run <= RUNS; run++)); do
  rm -rf "$XDG_CACHE_HOME/cleanroom/registry/npm"
  cold+=("$(guest_install gateway)")
  warm+=("$(guest_install gateway)")
  direct+=("$(guest_install direct)")
  echo "run $run: cold ${cold[-1]} ms, warm ${warm[-1]} ms, direct ${direct[-1]} ms" >&2
done
c=$(printf '%s\n' "${cold[@]}" | median)
w=$(printf '%s\n' "${warm[@]}" | median)
d=$(printf '%s\n' "${direct[@]}" | median)
cached_bytes=$(du -sb "$XDG_CACHE_HOME/cleanroom/registry/npm" | cut -f1)
echo "npm install bench-app ($((PACKAGES + 1)) packages, upstream delay ${DELAY_MS} ms per request), medians of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg):"
echo "  through the gateway, cache empty (cold):  $c ms"
echo "  through the gateway, cache filled (warm): $w ms   ($(awk -v w="$w" -v c="$c" 'BEGIN { printf "%.2f", w / c }')x of cold)"
echo "  straight to the upstream from the sandbox: $d ms"
echo "  cache: $cached_bytes bytes for the $((PACKAGES + 1)) packages"
