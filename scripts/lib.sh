# Shared by the scripts in this folder: repository paths and installing Debian packages only when missing.
# shellcheck shell=bash
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the named Debian packages that are not installed yet; runs apt-get update at most once per run.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "packages missing (${missing[*]}); run this script as root to install them"
  if [ -z "${CLEANROOM_APT_UPDATED:-}" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    export CLEANROOM_APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
    || die "apt-get install ${missing[*]} failed"
}

# runsc comes from Debian's official bookworm-backports suite (0.0~20240729: the systrap platform, statx), and nothing
# else does: the pin gives backports' runsc priority 500 (so the newer version wins, and upgrades follow it) and every
# other backports package -1 (never installed unless someone names the suite with -t). The suite is served by the mirror the host already
# uses for bookworm. Quick when done: no apt-get update unless the source is new or the installed runsc is behind.
RUNSC_SUITE=bookworm-backports
RUNSC_SOURCES=/etc/apt/sources.list.d/cleanroom-$RUNSC_SUITE.sources
RUNSC_PIN=/etc/apt/preferences.d/cleanroom-$RUNSC_SUITE

bookworm_mirror() {
  local uri
  uri=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null | awk '$1 == "bookworm" { print $2; exit }')
  printf '%s' "${uri:-http://deb.debian.org/debian/}"
}

# The runsc versions apt sees: "installed candidate" ("(none)" for either when absent).
runsc_versions() {
  LC_ALL=C apt-cache policy runsc 2>/dev/null | awk '/Installed:/ { i = $2 } /Candidate:/ { c = $2 } END { print i, c }'
}

ensure_runsc_from_backports() {
  local pin installed candidate
  pin="Package: runsc
Pin: release n=$RUNSC_SUITE
Pin-Priority: 500

Package: *
Pin: release n=$RUNSC_SUITE
Pin-Priority: -1
"
  read -r installed candidate <<<"$(runsc_versions)"
  if [ -f "$RUNSC_SOURCES" ] && [ "$(cat "$RUNSC_PIN" 2>/dev/null)" = "$(printf '%s' "$pin")" ] \
     && [[ "$candidate" == *bpo* ]] && [ "$installed" = "$candidate" ]; then
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "runsc from $RUNSC_SUITE is needed (installed: $installed); run this script as root to install it"
  if [ ! -f "$RUNSC_SOURCES" ] || [ "$(cat "$RUNSC_PIN" 2>/dev/null)" != "$(printf '%s' "$pin")" ] || [[ "$candidate" != *bpo* ]]; then
    log "adding Debian's $RUNSC_SUITE suite, pinned to runsc only ($RUNSC_SOURCES, $RUNSC_PIN)"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$(bookworm_mirror)" "$RUNSC_SUITE" >"$RUNSC_SOURCES"
    printf '%s' "$pin" >"$RUNSC_PIN"
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
    export CLEANROOM_APT_UPDATED=1
    read -r installed candidate <<<"$(runsc_versions)"
    [[ "$candidate" == *bpo* ]] || die "apt offers runsc $candidate, not one from $RUNSC_SUITE; check $RUNSC_SOURCES"
  fi
  [ "$installed" = "$candidate" ] && return 0
  log "installing runsc $candidate from $RUNSC_SUITE (installed: $installed)"
  # No -t: that would let runsc's dependencies come from backports too; the pin alone makes runsc's candidate the
  # backports one.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "runsc=$candidate" >&2 \
    || die "apt-get install runsc=$candidate failed"
}

require_dotnet() {
  command -v dotnet >/dev/null || die "the .NET 10 SDK is needed (dotnet not found on PATH)"
  dotnet --list-sdks | grep -q '^10\.' || die "the .NET 10 SDK is needed; found: $(dotnet --list-sdks | tr '\n' ' ')"
}

# What a NativeAOT publish (out/bin/cleanroom, the guest agent) links with: a C compiler driver (gcc; the SDK takes
# clang first when it is on PATH) and libc's development files, which gcc only recommends. zlib is not needed: the
# .NET 10 NativeAOT runtime pack links its own.
NATIVE_BUILD_PACKAGES=(gcc libc6-dev)

# The host packages Cleanroom itself needs at run time. Later components add theirs here.
# runsc is not here: ensure_runsc_from_backports installs it.
HOST_PACKAGES=(git ca-certificates util-linux procps iproute2 nftables qemu-system-x86 qemu-utils e2fsprogs)

# What scripts/build-kernel.sh needs to build the qemu backend's guest kernel. setup.sh installs them before it starts
# that build in the background, so no apt-get runs beside another one.
KERNEL_BUILD_PACKAGES=(linux-source-6.1 bc bison flex libelf-dev libssl-dev gcc make xz-utils)

# Programs the tests start besides the product's own (each one checked: `git grep` the tests for the program's
# name): a real OCI registry and skopeo to push to it, htpasswd for its basic auth, cpio to list the initramfs the
# qemu backend writes, curl for the HTTP API, tmux for terminal tests, mount (mount, losetup) for the gVisor disk-limit
# tests' private file system and leftover loop device, busybox-static for the upstream hosts' HTTP server (busybox httpd,
# with CGI and basic auth), git for the gateway tests' upstream (git http-backend behind that httpd) and their
# host-side clones. (nodejs and npm: see test.sh.)
TEST_PACKAGES=(docker-registry skopeo apache2-utils cpio curl tmux mount busybox-static git systemd systemd-journal-remote)

# Where setup.sh's background kernel build writes its log.
kernel_build_log() { printf '%s/cleanroom/kernel-build.log' "${XDG_STATE_HOME:-$HOME/.local/state}"; }

# Builds out/images/NAME.tar from Debian packages unless it exists (CLEANROOM_REBUILD_IMAGES=1 rebuilds), then imports
# it into this host's image store as cleanroom.local/NAME:latest.
build_and_import_image() {
  local image="$1"
  if [ -n "${CLEANROOM_REBUILD_IMAGES:-}" ] || [ ! -s "out/images/$image.tar" ]; then
    log "building the $image image"
    scripts/build-images.sh out/images "$image"
  fi
  log "importing cleanroom.local/$image:latest"
  out/bin/cleanroom image import "cleanroom.local/$image:latest" "out/images/$image.tar" >&2
}
