#!/usr/bin/env bash
# Prepares this host for Cleanroom. Safe to run again: each step skips what is already done.
#   1. installs the host packages Cleanroom runs (nftables, iproute2, ...), and runsc from Debian's bookworm-backports
#      (the suite added and pinned so that nothing else comes from it)
#   2. builds out/bin/cleanroom and the guest agent (out/agent), and starts building the qemu backend's guest kernel
#      in the background (cached under $XDG_DATA_HOME/cleanroom/kernels; about 5 minutes the first time, log in
#      $XDG_STATE_HOME/cleanroom/kernel-build.log): the gVisor path does not need it, so setup does not wait for it
#   3. builds the default images from Debian packages (out/images: busybox and debian; CLEANROOM_REBUILD_IMAGES=1
#      rebuilds them, e.g. after Debian security updates) and imports them into this host's image store
#   4. writes examples/basic/cleanroom.yaml pinned to the imported default image's digest
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

ensure_packages "${HOST_PACKAGES[@]}" "${KERNEL_BUILD_PACKAGES[@]}"
ensure_runsc_from_backports
scripts/build.sh
scripts/build-agent.sh

# The kernel only serves --backend qemu; a qemu sandbox asked for before it is done fails with a message that says
# so. build-kernel.sh serialises on a lock, so a second setup (or test.sh, which waits for it) joins this build.
kernel_log="$(kernel_build_log)"
mkdir -p "$(dirname "$kernel_log")"
if scripts/build-kernel.sh --check >/dev/null 2>&1; then
  log "guest kernel up to date"
else
  log "building the guest kernel in the background (log: $kernel_log)"
  setsid nohup scripts/build-kernel.sh >"$kernel_log" 2>&1 </dev/null &
fi

# debian-docker (for policies with docker.required) is not built here: it takes a minute and 450 MB that the main
# job does not need. `scripts/build-images.sh out/images debian-docker` builds it; the test script imports it.
for image in busybox debian; do
  build_and_import_image "$image"
done

out/bin/cleanroom init --chdir examples/basic --force >&2
log "ready: $REPO_ROOT/out/bin/cleanroom"
