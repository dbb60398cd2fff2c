#!/usr/bin/env bash
# Prints the Debian mirror to download from: $DEBIAN_MIRROR if set, else the first non-security
# Debian URI this machine's apt already uses (the one known to be reachable from here), else
# deb.debian.org. Used by build-base-image.sh (debootstrap) and install-compose-v2.sh.
set -euo pipefail

if [ -n "${DEBIAN_MIRROR:-}" ]; then
  echo "$DEBIAN_MIRROR"
  exit 0
fi
files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
mirror=$(
  {
    grep -hsE '^[[:space:]]*URIs:' "${files[@]}" | awk '{print $2}' || true
    grep -hsE '^[[:space:]]*deb[[:space:]]' "${files[@]}" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' || true
  } | grep -E '/debian/?$' | grep -v security | head -n1 || true
)
echo "${mirror:-http://deb.debian.org/debian}"
