#!/usr/bin/env bash
# Installs `docker compose` (v2, the Docker CLI plugin) into a project-local Docker client
# configuration folder and prints that folder: point DOCKER_CONFIG at it and `docker compose`
# works, whatever the machine has installed.
#
#   export DOCKER_CONFIG="$(scripts/install-compose-v2.sh)"
#   docker compose version
#
# Debian 12 ships only compose v1 (`docker-compose` 1.29); Debian 13 (trixie)'s `docker-compose`
# package holds the v2 plugin, a Go binary that needs nothing but libc, so it runs here. This script
# downloads that package with scripts/debian-download.sh (signature-checked, private apt state:
# the machine's apt sources and package database are not touched) and only unpacks it.
#
# Idempotent: an existing plugin that answers `version` is kept. The user's Docker client
# configuration (${DOCKER_CONFIG:-~/.docker}/config.json: registry auth, proxies) and CLI plugins
# (e.g. buildx) are copied in, so docker behaves as before apart from the added plugin.
#
# Usage: scripts/install-compose-v2.sh [folder]       (default .ci/work/docker-config)
#   DEBIAN_MIRROR=http://...          mirror (default: this machine's, see debian-mirror.sh)
#   COMPOSE_V2_SUITE=trixie           Debian suite to take the package from
#   COMPOSE_V2_VERSION=2.26.1-4       pin the package version (default: the suite's current one)
#   REINSTALL=1                       download again even if the plugin works
# Progress goes to stderr; stdout is only the folder.
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(mkdir -p "${1:-.ci/work/docker-config}" && cd "${1:-.ci/work/docker-config}" && pwd)"
source_config="${DOCKER_CONFIG:-$HOME/.docker}"
suite="${COMPOSE_V2_SUITE:-trixie}"
log() { printf '%s\n' "$*" >&2; }

# The user's client configuration and other plugins, refreshed on every call (unless the
# source is the target itself, e.g. when DOCKER_CONFIG already points here).
mkdir -p "$target/cli-plugins"
if [ "$(cd "$source_config" 2>/dev/null && pwd || true)" != "$target" ]; then
  [ -f "$source_config/config.json" ] && cp "$source_config/config.json" "$target/config.json"
  for plugin in "$source_config"/cli-plugins/*; do
    [ -e "$plugin" ] && [ "$(basename "$plugin")" != docker-compose ] && cp -p "$plugin" "$target/cli-plugins/"
  done
fi

plugin="$target/cli-plugins/docker-compose"
works() { [ -x "$plugin" ] && DOCKER_CONFIG="$target" docker compose version --short 2>/dev/null | grep -Eq '^v?2\.'; }
if [ -z "${REINSTALL:-}" ] && works; then
  log "docker compose $(DOCKER_CONFIG="$target" docker compose version --short) already in $target"
  echo "$target"
  exit 0
fi

package="docker-compose${COMPOSE_V2_VERSION:+=$COMPOSE_V2_VERSION}"
scripts/debian-download.sh "$suite" "$target/debian" "$package" || {
  log "or put a compose v2 binary at $plugin"
  exit 1
}
deb=$(ls "$target"/debian/download/docker-compose_*.deb)

unpacked="$target/debian/unpacked"
rm -rf "$unpacked"
dpkg-deb -x "$deb" "$unpacked"
found=$(find "$unpacked" -path '*/cli-plugins/docker-compose' -type f | head -n1)
[ -n "$found" ] || { log "$(basename "$deb") holds no cli-plugins/docker-compose (not v2?)"; exit 1; }
install -m 0755 "$found" "$plugin.tmp"
mv "$plugin.tmp" "$plugin"
rm -rf "$target/debian"
works || { log "the installed plugin does not report a v2 version"; exit 1; }
log "installed docker compose $(DOCKER_CONFIG="$target" docker compose version --short) from ${deb##*/} into $target"
echo "$target"
