#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests need, checks
# formatting and lints, runs the Rust test suites (unit, property, KAT, interop, API and
# multi-process tests), the README's curl examples against the real binary and the console in
# a real browser (scripts/console-test.sh, which installs Chromium and Selenium itself) and a
# short cut of the demo video (scripts/make-video.sh --cut, which installs ffmpeg and espeak-ng).
#
# Usage: scripts/test.sh                  (everything)
#        SKIP_LINT=1 scripts/test.sh        (no fmt/clippy)
#        SKIP_CONTAINERS=1 scripts/test.sh  (no docker-compose cluster test)
#
# The container test (scripts/container-test.sh) runs twice, with `docker-compose` (v1) and with
# `docker compose` (v2, installed project-locally by scripts/install-compose-v2.sh), on images
# made from the debug binaries the Rust tests just built; then scripts/dockerfile-check.sh builds
# the from-source Dockerfile with local stand-ins for its base images. Options:
#        CRETOAI_COMPOSE_VERSIONS="v1 v2"   which compose versions to test (default both)
#        CRETOAI_CONTAINER_TEST=smoke       v1 and v2 runs: only up, one transaction, sidecar,
#                                           down -v (default full; each full run is ~1-2 min)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

need_tools=()
for tool in curl jq; do
  command -v "$tool" >/dev/null 2>&1 || need_tools+=("$tool")
done
if ((${#need_tools[@]})); then
  step "installing ${need_tools[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_tools[@]}"
fi
command -v cc >/dev/null || { echo "a C compiler (gcc) is needed to build aws-lc" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# Two cores: keep memory and scheduling predictable.
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# One build per run: incremental caches would only double the disk the build takes.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# A full run needs the disk below (the debug build, the images and the video); say so
# up front instead of failing half-way on a full disk.
need_gib=5
free_gib=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
echo "disk: ${free_gib} GiB free here; a full run needs about ${need_gib} GiB"
if [ "$free_gib" -lt "$need_gib" ]; then
  echo "WARNING: less than ${need_gib} GiB free; the run may stop on a full disk" >&2
fi

# Before anything builds (a build would quietly rewrite it): the Dockerfile's builder runs
# `cargo build --locked`, which stops on a Cargo.lock that the manifests have moved past.
step "Cargo.lock matches the manifests"
cargo tree --locked --workspace --quiet >/dev/null

if [ -z "${SKIP_LINT:-}" ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy (all targets, warnings are errors)"
  cargo clippy --workspace --all-targets -- -D warnings
fi

step "cargo test (workspace)"
cargo test --workspace --no-fail-fast

# The whole benchmark report, every step small, on the test build's binaries (no release
# build): it checks that every step runs and that the page and its charts are complete and
# well formed, in a temporary folder. No timing is asserted; the duration is printed.
step "the benchmark report: cretoai-bench report --quick --check (about 3 minutes)"
report_bins="$(scripts/test-binaries.sh .ci/work/report-binaries)"
report_start=$(date +%s)
"$report_bins/cretoai-bench" report --quick --check \
  --node-bin "$report_bins/cretoai-node" --compare-bin "$report_bins/cretoai-compare" \
  --authz-bench-bin "$report_bins/cretoai-authz-bench"
echo "cretoai-bench report --quick --check took $(($(date +%s) - report_start)) s"

step "the demo guide: every command block marked run or skip"
scripts/demo-guide-check.sh --check

if ls scripts/*-examples.sh >/dev/null 2>&1; then
  step "the curl examples of docs/api.md against the real binary"
  scripts/readme-check.sh
fi

step "the console in a real browser (headless Chromium, three nodes and the AuthZ sidecar over HTTPS)"
scripts/console-test.sh

# The demo video's pipeline, on a 20-second cut: recorded on the real cluster, narrated,
# encoded, and its length, resolution, sound track and subtitles checked with ffprobe.
step "the demo video, a short cut (scripts/make-video.sh --cut)"
scripts/make-video.sh --cut

if [ -z "${SKIP_CONTAINERS:-}" ] && docker info >/dev/null 2>&1; then
  scripts/test-containers.sh
else
  step "SKIPPED: container test (no docker daemon, or SKIP_CONTAINERS set)"
fi

step "all tests passed"
