#!/usr/bin/env bash
# Builds the runtime base image for the offline (no registry) container path: debootstraps a
# minimal Debian bookworm into a folder, prepares it like the runtime stage of Dockerfile does
# (scripts/prepare-runtime-rootfs.sh: trimmed, user `cretoai`) and `docker import`s it.
# The untouched debootstrap is imported too ($CRETOAI_DEBIAN_IMAGE, default
# cretoai-debian:bookworm): a local stand-in for debian:bookworm-slim, on which
# scripts/dockerfile-check.sh builds the from-source Dockerfile.
#
# Usage: scripts/build-base-image.sh [image]     (default cretoai-base:bookworm)
#   DEBIAN_MIRROR=http://...   mirror to debootstrap from (default: scripts/debian-mirror.sh)
#   REBUILD=1                  rebuild even if the image exists
set -euo pipefail
cd "$(dirname "$0")/.."

image="${1:-${CRETOAI_BASE_IMAGE:-cretoai-base:bookworm}}"
debian_image="${CRETOAI_DEBIAN_IMAGE:-cretoai-debian:bookworm}"
suite=bookworm

if [ -z "${REBUILD:-}" ] && docker image inspect "$image" "$debian_image" >/dev/null 2>&1; then
  echo "base images $image and $debian_image exist (REBUILD=1 to rebuild)"
  exit 0
fi

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq debootstrap
fi
debootstrap_bin="$(command -v debootstrap || echo /usr/sbin/debootstrap)"

mirror="$(scripts/debian-mirror.sh)"

rootfs="$(mktemp -d /tmp/cretoai-rootfs.XXXXXX)"
trap '$SUDO rm -rf "$rootfs"' EXIT

echo "debootstrap --variant=minbase $suite from $mirror"
$SUDO "$debootstrap_bin" --variant=minbase "$suite" "$rootfs" "$mirror" >/tmp/cretoai-debootstrap.log 2>&1 || {
  tail -n 30 /tmp/cretoai-debootstrap.log >&2
  exit 1
}

docker_import() {
  $SUDO tar -C "$rootfs" --numeric-owner -c . |
    docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$1" >/dev/null
  echo "imported $1 ($(docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1 / 1e6}'))"
}
docker_import "$debian_image"

$SUDO scripts/prepare-runtime-rootfs.sh "$rootfs" >/tmp/cretoai-debootstrap-prepare.log 2>&1 || {
  tail -n 30 /tmp/cretoai-debootstrap-prepare.log >&2
  exit 1
}

docker_import "$image"
