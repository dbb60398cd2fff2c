#!/usr/bin/env bash
# The container part of scripts/test.sh: the compose cluster test with compose v1 and v2 and the
# from-source Dockerfile check, then a table of the figures (image sizes, up -> healthy, time).
#
# Usage: scripts/test-containers.sh       (after `cargo test --workspace`, whose binaries it uses)
#   CRETOAI_COMPOSE_VERSIONS="v1 v2"   compose versions to test (default both)
#   CRETOAI_CONTAINER_TEST=full|smoke  depth of each run (default full, see container-test.sh)
#   CRETOAI_BINARIES_DIR=DIR           use these binaries (default: the test build's)
#   SKIP_DOCKERFILE_CHECK=1            skip scripts/dockerfile-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
versions="${CRETOAI_COMPOSE_VERSIONS:-v1 v2}"
work=.ci/work
mkdir -p "$work"
report="$work/container-figures.md"
: >"$report"

# The binaries `cargo test --workspace` already built (see scripts/test-binaries.sh).
if [ -z "${CRETOAI_BINARIES_DIR:-}" ]; then
  step "locating the test build's cretoai-node and cretoai-authz-sidecar"
  bins="$(scripts/test-binaries.sh "$work/test-binaries")"
  export CRETOAI_BINARIES_DIR="$bins" CRETOAI_BINARIES_PROFILE="${CRETOAI_BINARIES_PROFILE:-test}"
fi

for version in $versions; do
  case "$version" in
    v1)
      if ! command -v docker-compose >/dev/null; then
        step "installing docker-compose (v1, Debian's package)"
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq docker-compose
      fi
      step "container test with docker-compose (v1)"
      COMPOSE=docker-compose CRETOAI_CTEST_REPORT="$report" scripts/container-test.sh
      ;;
    v2)
      step "installing docker compose (v2) into $work/docker-config"
      docker_config="$(scripts/install-compose-v2.sh "$work/docker-config")"
      step "container test with docker compose (v2)"
      DOCKER_CONFIG="$docker_config" COMPOSE="docker compose" CRETOAI_CTEST_REPORT="$report" \
        scripts/container-test.sh
      ;;
    *) echo "CRETOAI_COMPOSE_VERSIONS: v1 and/or v2, not $version" >&2; exit 2 ;;
  esac
done

if [ -z "${SKIP_DOCKERFILE_CHECK:-}" ]; then
  step "from-source Dockerfile with local stand-ins for its base images"
  scripts/dockerfile-check.sh
fi

step "container figures"
echo "| compose | test | base image | runtime image | up -> healthy | up -> consensus active | whole test |"
echo "|---|---|---|---|---|---|---|"
cat "$report"
