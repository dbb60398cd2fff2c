#!/usr/bin/env bash
# Downloads packages of another Debian suite (e.g. trixie on a Debian 12 machine) without
# touching the machine's apt: apt-get with a private state (only that suite's sources, its own
# lists and cache under the given folder), signature-checked against the Debian archive keyring.
# The machine's apt.conf.d still applies (proxies), its sources.list(.d) do not. Nothing is
# installed; the caller unpacks what it needs (dpkg-deb -x).
#
# Usage: scripts/debian-download.sh SUITE FOLDER PACKAGE...
#   DEBIAN_MIRROR=http://...   mirror (default: this machine's, see debian-mirror.sh)
# The .deb files land in FOLDER/download (emptied first); the apt lists (about 40 MB) are
# removed afterwards. Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 3 ] || { echo "usage: $0 SUITE FOLDER PACKAGE..." >&2; exit 2; }
suite=$1 folder=$2
shift 2
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  echo "apt-get and dpkg-deb are needed (Debian or Ubuntu)" >&2
  exit 1
}
[ -r "$keyring" ] || { echo "$keyring missing: install debian-archive-keyring" >&2; exit 1; }

apt_dir="$folder/apt-$suite"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$folder/download"
echo "deb [signed-by=$keyring] $(scripts/debian-mirror.sh) $suite main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
  -o Acquire::Languages=none -o APT::Sandbox::User=root
)
echo "apt-get update ($suite, private state in $apt_dir)" >&2
apt-get "${apt_opts[@]}" update -qq >&2
rm -f "$folder"/download/*.deb
(cd "$folder/download" && apt-get "${apt_opts[@]}" download -qq "$@" >&2)
rm -rf "$apt_dir"
