#!/usr/bin/env bash
# Prepares this host for Cleanroom. Safe to run again: each step skips what is already done.
#   1. installs the host packages Cleanroom runs (runsc, nftables, iproute2, ...)
#   2. builds out/bin/cleanroom, the guest agent (out/agent) and the qemu backend's guest kernel
#      (cached under $XDG_DATA_HOME/cleanroom/kernels; minutes the first time)
#   3. builds the default images from Debian packages (out/images; CLEANROOM_REBUILD_IMAGES=1 rebuilds them,
#      e.g. after Debian security updates) and imports them into this host's image store
#   4. writes examples/basic/cleanroom.yaml pinned to the imported default image's digest
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

ensure_packages "${HOST_PACKAGES[@]}"
scripts/build.sh
scripts/build-agent.sh
scripts/build-kernel.sh >/dev/null

for image in busybox debian; do
  if [ -n "${CLEANROOM_REBUILD_IMAGES:-}" ] || [ ! -s "out/images/$image.tar" ]; then
    log "building the $image image"
    scripts/build-images.sh out/images "$image"
  fi
  log "importing cleanroom.local/$image:latest"
  out/bin/cleanroom image import "cleanroom.local/$image:latest" "out/images/$image.tar" >&2
done

out/bin/cleanroom init --chdir examples/basic --force >&2
log "ready: $REPO_ROOT/out/bin/cleanroom"
