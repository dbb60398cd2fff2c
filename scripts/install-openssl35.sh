#!/usr/bin/env bash
# Unpacks OpenSSL 3.5 (the `openssl` command and its libraries) from Debian 13 (trixie) into a
# project-local folder and prints the path of a wrapper that runs it, so that `openssl speed`
# can measure ML-DSA and ML-KEM beside our figures (OpenSSL has them from 3.5 on; Debian 12
# ships 3.0).
#
#   OPENSSL35="$(scripts/install-openssl35.sh)" && "$OPENSSL35" speed -seconds 3 ML-DSA-65
#
# The packages are downloaded by scripts/debian-download.sh (signature-checked, private apt
# state). Nothing is installed system-wide and the machine's apt state is not touched.
# The packages are only unpacked (dpkg-deb -x), never configured.
#
# Trixie's binaries need glibc 2.38 or newer (Debian 12 has 2.36), so trixie's C library is
# unpacked too, and the wrapper starts openssl through that library's own loader
# (ld-linux-x86-64.so.2 --library-path ...): the machine's C library stays as it is. If the
# unpacked command still does not start, the script exits 1 with the loader's message on stderr;
# the benchmark report quotes it.
#
# Usage: scripts/install-openssl35.sh [folder]        (default .ci/work/openssl35)
#   DEBIAN_MIRROR=http://...      mirror (default: this machine's, see debian-mirror.sh)
#   OPENSSL35_SUITE=trixie        Debian suite to take the packages from
#   REINSTALL=1                   download again even if the wrapper works
# Progress goes to stderr; stdout is only the wrapper's path.
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(mkdir -p "${1:-.ci/work/openssl35}" && cd "${1:-.ci/work/openssl35}" && pwd)"
suite="${OPENSSL35_SUITE:-trixie}"
wrapper="$target/openssl"
log() { printf '%s\n' "$*" >&2; }

works() { [ -x "$wrapper" ] && "$wrapper" version 2>/dev/null | grep -Eq '^OpenSSL 3\.([5-9]|[1-9][0-9])'; }
if [ -z "${REINSTALL:-}" ] && works; then
  log "$("$wrapper" version) already in $target"
  echo "$wrapper"
  exit 0
fi

# The command, the library it links and the C library both need.
scripts/debian-download.sh "$suite" "$target/debian" openssl libssl3t64 libc6

root="$target/root"
rm -rf "$root"
for deb in "$target"/debian/download/*.deb; do dpkg-deb -x "$deb" "$root"; done
rm -rf "$target/debian"
bin="$root/usr/bin/openssl"
libdir=$(dirname "$(find "$root" -name 'libssl.so.3' | head -n1)")
loader=$(find "$root" -name 'ld-linux-x86-64.so.2' -type f | head -n1)
modules=$(find "$root" -type d -name 'ossl-modules' | head -n1)
[ -x "$bin" ] && [ -n "$libdir" ] && [ -n "$loader" ] || {
  log "the packages hold no usr/bin/openssl, libssl.so.3 or ld-linux-x86-64.so.2"
  exit 1
}
# Unpacked libraries first, then the machine's (zlib, zstd: older builds run on a newer libc).
cat >"$wrapper.tmp" <<WRAP
#!/bin/sh
# OpenSSL from Debian $suite, unpacked by scripts/install-openssl35.sh, run by its own C library.
OPENSSL_MODULES="$modules" OPENSSL_CONF=/dev/null exec "$loader" --library-path "$libdir:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$bin" "\$@"
WRAP
chmod 0755 "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"
if ! out=$("$wrapper" version 2>&1); then
  log "the unpacked openssl does not start on this machine: $out"
  exit 1
fi
works || { log "the unpacked openssl reports '$out', not 3.5 or newer"; exit 1; }
log "installed $out from $suite into $target"
echo "$wrapper"
