#!/usr/bin/env bash
# Publishes the guest agent (NativeAOT) to OUT_DIR (default out/agent) and stages beside it, in
# OUT_DIR/lib, the dynamic loader and the libraries it links against, copied from this host. Sandboxes
# start it as `lib/ld-linux-x86-64.so.2 --library-path lib cleanroom-agent --stdio` from that directory
# (bind-mounted read-only at /.cleanroom), so it runs whatever libc the image has, or none.
#
# usage: scripts/build-agent.sh [OUT_DIR]
#
# Idempotent: a hash of the agent's sources and build settings is kept in OUT_DIR/.source-hash; when it
# matches and the staged files are there, nothing is rebuilt. The publish goes to a staging directory
# that replaces OUT_DIR only when complete, so a failed build never leaves a half-staged agent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT_DIR="${1:-$REPO_ROOT/out/agent}"
mkdir -p "$(dirname "$OUT_DIR")"
OUT_DIR="$(cd "$(dirname "$OUT_DIR")" && pwd)/$(basename "$OUT_DIR")"
LOADER=ld-linux-x86-64.so.2

# A content hash, not mtimes: a checkout or a copy changes mtimes without changing the agent.
source_hash() {
  (cd "$REPO_ROOT" \
    && find src/Cleanroom.Agent src/Cleanroom.Agent.Protocol \( -name bin -o -name obj \) -prune -o \
         -type f \( -name '*.cs' -o -name '*.csproj' \) -print \
    && printf '%s\n' Directory.Build.props Directory.Packages.props src/Directory.Build.props src/aot-analyzers.globalconfig) \
    | LC_ALL=C sort | (cd "$REPO_ROOT" && xargs sha256sum) | sha256sum | cut -c1-64
}

up_to_date() {
  [ -f "$OUT_DIR/.source-hash" ] && [ "$(cat "$OUT_DIR/.source-hash")" = "$1" ] \
    && [ -x "$OUT_DIR/cleanroom-agent" ] && [ -x "$OUT_DIR/lib/$LOADER" ]
}

HASH="$(source_hash)"
if up_to_date "$HASH"; then
  log "agent up to date in $OUT_DIR"
  exit 0
fi

require_dotnet
ensure_packages "${NATIVE_BUILD_PACKAGES[@]}"
STAGING="$OUT_DIR.staging.$$"
trap 'rm -rf "$STAGING"' EXIT
rm -rf "$STAGING"

log "publishing the NativeAOT agent to $OUT_DIR"
dotnet publish "$REPO_ROOT/src/Cleanroom.Agent/Cleanroom.Agent.csproj" -c Release -r linux-x64 -o "$STAGING" \
  --nologo -v quiet -clp:ErrorsOnly >&2
[ -x "$STAGING/cleanroom-agent" ] || die "publish finished but cleanroom-agent is missing"
# Only the binary is shipped into sandboxes; symbols and pdbs stay out of the mounted directory.
find "$STAGING" -maxdepth 1 -type f ! -name cleanroom-agent -delete

mkdir -p "$STAGING/lib"
# ldd lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)".
mapfile -t LIBS < <(ldd "$STAGING/cleanroom-agent" | sed -nE 's/^[[:space:]]*([^ ]+ => )?(\/[^ ]+) \(0x[0-9a-f]+\)$/\2/p')
[ ${#LIBS[@]} -gt 0 ] || die "ldd found no libraries for cleanroom-agent"
for lib in "${LIBS[@]}"; do
  cp -L "$lib" "$STAGING/lib/$(basename "$lib")"
done
[ -f "$STAGING/lib/$LOADER" ] || die "the loader $LOADER is not among the agent's libraries: ${LIBS[*]}"
chmod 0755 "$STAGING/lib/$LOADER"
chmod -R go-w "$STAGING"
printf '%s\n' "$HASH" > "$STAGING/.source-hash"

rm -rf "$OUT_DIR"
mv "$STAGING" "$OUT_DIR"
trap - EXIT
log "agent staged: $OUT_DIR/cleanroom-agent with $(ls "$OUT_DIR/lib" | tr '\n' ' ')"
