#!/usr/bin/env bash
# Builds Cleanroom's default images, offline from Debian packages, as reproducible rootfs
# tarballs that `ImageStore.ImportAsync` accepts:
#   busybox.tar        /bin/busybox (from busybox-static) and its applet links, /etc/passwd and /etc/group
#   debian.tar         mmdebstrap --variant=minbase bookworm with bash, coreutils, git, ca-certificates, curl
#   debian-docker.tar  the same minbase with docker.io, iptables and mount, for policies with docker.required
#   debian-registry.tar  the same minbase with npm and python3-pip, for the registry gateway's tests
#   debian-go.tar      the same minbase with golang-go (Go 1.19) and curl, for the gateway's Go module and download tests
#
# usage: scripts/build-images.sh [OUT_DIR] [busybox|debian|debian-docker|debian-registry|debian-go|all]     (default: out/images all)
#
# Reproducible: every entry gets mtime SOURCE_DATE_EPOCH, entries are sorted by name, owners are numeric,
# PAX headers carry no atime/ctime/pid. The same package versions give the same bytes on every machine
# (debian.packages lists the versions that went in). The image store refuses untrusted setuid/setgid
# bits and device nodes, so both are removed here: the sandbox runtime provides /dev, and su/mount/passwd
# lose their setuid bit (they only work as root inside the sandbox, which is the usual case there).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

OUT_DIR="${1:-$REPO_ROOT/out/images}"
WHICH="${2:-all}"
# 2025-05-20T00:00:00Z, the Debian snapshot date this host's apt sources name. A constant, not "now", so
# that two builds of the same packages match; override to stamp another date.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1747699200}"
SUITE="${DEBIAN_SUITE:-bookworm}"

mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cleanroom-images.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Removes what the image store would refuse (device nodes, sockets, setuid/setgid bits) and what differs
# from build to build (logs, caches holding inode numbers or times).
sanitise_tree() {
  local root="$1"
  find "$root" -mindepth 1 \( -type b -o -type c -o -type s \) -delete
  find "$root" -mindepth 1 -perm /6000 -exec chmod ug-s {} +
}

# Writes a deterministic tar of the tree: sorted names without a "./" prefix, fixed mtimes, numeric owners.
write_tar() {
  local root="$1" out="$2"; shift 2
  (cd "$root" && find . -mindepth 1 -printf '%P\0' | LC_ALL=C sort -z) > "$WORK/list"
  tar -C "$root" --no-recursion --null -T "$WORK/list" \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --mtime="@$SOURCE_DATE_EPOCH" --numeric-owner "$@" -cf "$out.tmp"
  mv "$out.tmp" "$out"
}

build_busybox() {
  ensure_packages busybox-static
  local started=$SECONDS root="$WORK/busybox"
  local version; version="$(dpkg-query -W -f='${Version}' busybox-static)"
  log "building busybox.tar from busybox-static $version"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,workspace,dev,proc,sys}
  install -m 0755 "$(dpkg -L busybox-static | grep -m1 -E '/busybox$')" "$root/bin/busybox"
  # --list-full names each applet with its conventional directory (bin/sh, usr/bin/env, sbin/ip ...).
  local applet
  while read -r applet; do
    [ "$applet" = "bin/busybox" ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done < <("$root/bin/busybox" --list-full | LC_ALL=C sort)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  chmod 0644 "$root/etc/passwd" "$root/etc/group"
  chmod 0755 "$root" "$root"/{bin,sbin,usr,usr/bin,usr/sbin,etc,workspace,dev,proc,sys}
  chmod 0700 "$root/root"
  chmod 1777 "$root/tmp"
  sanitise_tree "$root"
  # Built by whoever runs this script, so owners are forced to root: the rootfs needs root-owned files.
  write_tar "$root" "$OUT_DIR/busybox.tar" --owner=0 --group=0
  echo "busybox-static $version" > "$OUT_DIR/busybox.packages"
  log "busybox.tar built in $((SECONDS - started)) s"
}

# One mmdebstrap image: NAME.tar and NAME.packages from minbase plus the comma-separated INCLUDE list.
build_mmdebstrap_image() {
  local name="$1" include="$2"
  ensure_packages mmdebstrap
  [ "$(id -u)" -eq 0 ] || die "building $name.tar needs root (mmdebstrap in root mode keeps real owners)"
  local started=$SECONDS root="$WORK/$name"
  log "building $name.tar: mmdebstrap $SUITE (uses this host's apt mirror)"
  # The host's sources decide the mirror (see /etc/apt/sources.list.d); mmdebstrap reads them when no
  # mirror is named. SOURCE_DATE_EPOCH makes mmdebstrap and the packages' scripts stamp that date.
  mmdebstrap --quiet --mode=root --variant=minbase --include="$include" \
    --customize-hook='chroot "$1" dpkg-query -W -f="\${Package} \${Version}\n" > "$1/.packages"' \
    "$SUITE" "$root" >&2
  mv "$root/.packages" "$OUT_DIR/$name.packages"
  # Build-to-build noise: ldconfig's aux cache holds inode numbers and times; logs hold times.
  rm -f "$root/var/cache/ldconfig/aux-cache" "$root/var/cache/debconf/"*-old "$root/var/lib/dpkg/"*-old
  find "$root/var/log" -type f -delete
  rm -rf "$root/dev" && mkdir -m 0755 "$root/dev"
  mkdir -p -m 0755 "$root/workspace"
  sanitise_tree "$root"
  write_tar "$root" "$OUT_DIR/$name.tar"
  log "$name.tar built in $((SECONDS - started)) s"
}

build_debian() { build_mmdebstrap_image debian bash,coreutils,git,ca-certificates,curl; }

# For policies with docker.required (qemu backend): Debian's own docker.io (dockerd 20.10, containerd, runc) with
# iptables (iptables-nft, as Debian sets it up) and mount (the start script mounts the cgroup v2 hierarchy).
build_debian_docker() { build_mmdebstrap_image debian-docker bash,coreutils,ca-certificates,curl,mount,iptables,docker.io; }

# For the registry gateway's tests (issue 18): Debian's own npm (with nodejs) and pip clients.
build_debian_registry() { build_mmdebstrap_image debian-registry bash,coreutils,ca-certificates,npm,python3-pip; }

# For the Go module route and the download route (issue 18): Debian's own go command and curl. Its own image, not
# debian-registry's: Go's toolchain and standard library sources are about 450 MB, which the npm and pip tests need not import.
build_debian_go() { build_mmdebstrap_image debian-go bash,coreutils,ca-certificates,curl,golang-go; }

case "$WHICH" in
  busybox) build_busybox ;;
  debian) build_debian ;;
  debian-docker) build_debian_docker ;;
  debian-registry) build_debian_registry ;;
  debian-go) build_debian_go ;;
  all) build_busybox; build_debian; build_debian_docker ;;
  *) die "unknown image \"$WHICH\"; use busybox, debian, debian-docker, debian-registry, debian-go or all" ;;
esac

# An image not built this time is simply not listed (and must not make the script fail).
for tar in "$OUT_DIR"/busybox.tar "$OUT_DIR"/debian.tar "$OUT_DIR"/debian-docker.tar "$OUT_DIR"/debian-registry.tar "$OUT_DIR"/debian-go.tar; do
  if [ -f "$tar" ]; then
    printf '%s  %s bytes  sha256:%s\n' "$tar" "$(stat -c %s "$tar")" "$(sha256sum "$tar" | cut -d' ' -f1)"
  fi
done
