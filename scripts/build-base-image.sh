#!/usr/bin/env bash
# Builds the runtime base image for the offline (no registry) container path: debootstraps a
# minimal Debian bookworm into a folder, prepares it like the runtime stage of Dockerfile does
# (scripts/prepare-runtime-rootfs.sh: trimmed, user `cretoai`) and `docker import`s it.
#
# Usage: scripts/build-base-image.sh [image]     (default cretoai-base:bookworm)
#   DEBIAN_MIRROR=http://...   mirror to debootstrap from (default: this machine's apt mirror)
#   REBUILD=1                  rebuild even if the image exists
set -euo pipefail

image="${1:-${CRETOAI_BASE_IMAGE:-cretoai-base:bookworm}}"
suite=bookworm

if [ -z "${REBUILD:-}" ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image exists (REBUILD=1 to rebuild)"
  exit 0
fi

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq debootstrap
fi
debootstrap_bin="$(command -v debootstrap || echo /usr/sbin/debootstrap)"

# The mirror apt already uses here is the one known to be reachable (first non-security URI).
detect_mirror() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  {
    grep -hsE '^[[:space:]]*URIs:' "${files[@]}" | awk '{print $2}' || true
    grep -hsE '^[[:space:]]*deb[[:space:]]' "${files[@]}" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' || true
  } | grep -E '/debian/?$' | grep -v security | head -n1 || true
}
mirror="${DEBIAN_MIRROR:-$(detect_mirror)}"
mirror="${mirror:-http://deb.debian.org/debian}"

rootfs="$(mktemp -d /tmp/cretoai-rootfs.XXXXXX)"
trap '$SUDO rm -rf "$rootfs"' EXIT

echo "debootstrap --variant=minbase $suite from $mirror"
$SUDO "$debootstrap_bin" --variant=minbase "$suite" "$rootfs" "$mirror" >/tmp/cretoai-debootstrap.log 2>&1 || {
  tail -n 30 /tmp/cretoai-debootstrap.log >&2
  exit 1
}

$SUDO "$(dirname "$0")/prepare-runtime-rootfs.sh" "$rootfs" >/tmp/cretoai-debootstrap-prepare.log 2>&1 || {
  tail -n 30 /tmp/cretoai-debootstrap-prepare.log >&2
  exit 1
}

$SUDO tar -C "$rootfs" --numeric-owner -c . |
  docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" >/dev/null
echo "imported $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1 / 1e6}'))"
