#!/usr/bin/env bash
# Builds the Cleanroom guest kernel for the qemu backend: Debian's linux-source-6.1, `make tinyconfig`,
# then kernel/cleanroom.config merged on top (kernel/README.md explains every choice and what it saved).
#
# usage: scripts/build-kernel.sh            prints the kernel directory on stdout
#        scripts/build-kernel.sh --check    exits 0 when the kernel is already built, 1 when not (builds nothing)
#
# The result is cached by a hash of the fragment, the source package version and this recipe:
#   $XDG_DATA_HOME/cleanroom/kernels/<hash>/vmlinux   uncompressed ELF with the PVH entry (QEMU boots it directly)
#   $XDG_DATA_HOME/cleanroom/kernels/<hash>/bzImage   the same kernel, compressed, for any other boot loader
#   $XDG_DATA_HOME/cleanroom/kernels/<hash>/config    the full .config it was built from
#   $XDG_DATA_HOME/cleanroom/kernels/current -> <hash>  what the server uses when backends.qemu.kernel is empty
# Idempotent: when the directory is complete nothing is built. A build takes minutes on 2 cores; it runs
# under nice in a scratch directory that is removed afterwards, and the result appears by rename only
# when complete. Concurrent runs serialise on a lock file.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Bump when the steps below change what they produce for the same fragment and source.
RECIPE=1
FRAGMENT="$REPO_ROOT/kernel/cleanroom.config"
SOURCE_PACKAGE=linux-source-6.1
SOURCE_TARBALL=/usr/src/linux-source-6.1.tar.xz

DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
CACHE_HOME="${XDG_CACHE_HOME:-$HOME/.cache}"
KERNELS="$DATA_HOME/cleanroom/kernels"

[ -f "$FRAGMENT" ] || die "the config fragment $FRAGMENT is missing"
ensure_packages "${KERNEL_BUILD_PACKAGES[@]}"
[ -f "$SOURCE_TARBALL" ] || die "$SOURCE_PACKAGE is installed but $SOURCE_TARBALL is not there"

SOURCE_VERSION="$(dpkg-query -W -f='${Version}' "$SOURCE_PACKAGE")"
HASH="$({ printf 'recipe %s\nsource %s %s\n' "$RECIPE" "$SOURCE_PACKAGE" "$SOURCE_VERSION"; cat "$FRAGMENT"; } | sha256sum | cut -c1-16)"
OUT="$KERNELS/$HASH"

complete() { [ -s "$OUT/vmlinux" ] && [ -s "$OUT/bzImage" ] && [ -s "$OUT/config" ]; }
publish() { ln -sfn "$HASH" "$KERNELS/current.tmp.$$" && mv -T "$KERNELS/current.tmp.$$" "$KERNELS/current"; echo "$OUT"; }

if [ "${1:-}" = --check ]; then
  complete && [ "$(readlink "$KERNELS/current" 2>/dev/null)" = "$HASH" ] && exit 0
  exit 1
fi

mkdir -p "$KERNELS"
exec 9>"$KERNELS/.build.lock"
flock 9
if complete; then
  log "guest kernel up to date in $OUT"
  publish
  exit 0
fi

mkdir -p "$CACHE_HOME/cleanroom"
WORK="$(mktemp -d "$CACHE_HOME/cleanroom/kernel-build.XXXXXX")"
STAGING="$KERNELS/.$HASH.staging.$$"
trap 'rm -rf "$WORK" "$STAGING"' EXIT

log "unpacking $SOURCE_PACKAGE $SOURCE_VERSION"
tar -xJf "$SOURCE_TARBALL" -C "$WORK"
TREE="$WORK/linux-source-6.1"
[ -d "$TREE" ] || die "the source tarball did not unpack to $TREE"

log "configuring: tinyconfig + kernel/cleanroom.config"
make -C "$TREE" -s tinyconfig >/dev/null
"$TREE/scripts/kconfig/merge_config.sh" -m -O "$TREE" "$TREE/.config" "$FRAGMENT" >/dev/null
make -C "$TREE" -s olddefconfig >/dev/null

# Kconfig drops a symbol silently when a dependency is missing; a kernel without, say, virtio-blk would
# only fail at the first boot. So every line of the fragment must hold in the final .config.
mismatches=()
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) symbol="${line%%=*}"; want="${line#*=}" ;;
    "# CONFIG_"*" is not set") symbol="${line#\# }"; symbol="${symbol%% *}"; want=n ;;
    *) continue ;;
  esac
  got="$(sed -n "s/^$symbol=//p" "$TREE/.config")"
  [ "${got:-n}" = "$want" ] || mismatches+=("$symbol wants $want, got ${got:-n}")
done < "$FRAGMENT"
[ ${#mismatches[@]} -eq 0 ] || die "kernel/cleanroom.config does not hold after olddefconfig: ${mismatches[*]}"

log "building the kernel (nice, -j$(nproc)); this takes a few minutes"
nice -n 10 make -C "$TREE" -s -j"$(nproc)" bzImage >&2

mkdir -p "$STAGING"
# Symbols are of no use to QEMU; stripping keeps the allocated sections, the PVH note among them.
strip -o "$STAGING/vmlinux" "$TREE/vmlinux"
cp "$TREE/arch/x86/boot/bzImage" "$STAGING/bzImage"
cp "$TREE/.config" "$STAGING/config"
printf 'recipe %s\nsource %s %s\n' "$RECIPE" "$SOURCE_PACKAGE" "$SOURCE_VERSION" > "$STAGING/source"
rm -rf "$OUT"
mv "$STAGING" "$OUT"
log "guest kernel built: $OUT ($(du -h "$OUT/vmlinux" | cut -f1) vmlinux, $(du -h "$OUT/bzImage" | cut -f1) bzImage)"
publish
