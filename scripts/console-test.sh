#!/usr/bin/env bash
# The console in a real browser: three real cretoai-node processes and a real AuthZ sidecar
# (started by node/tests/console_browser.rs with the cluster test harness), driven by Selenium
# in headless Chromium (node/tests/browser/console.py), plus one node serving HTTPS whose CA a
# second Chromium trusts through an NSS database (certutil) to check the post-quantum connection.
# Installs what it needs: Debian's chromium, chromium-driver and libnss3-tools (certutil), and
# Selenium from PyPI in a venv under .ci/work.
#
# Usage: scripts/console-test.sh                assert what a person sees (screenshots to .ci/work)
#        scripts/console-test.sh --screenshots  also rewrite docs/dashboard/*.png
#        scripts/console-test.sh --load-time    also measure the time to a fully rendered page
#                                               while cretoai-bench loads the cluster
# Uses the binaries `cargo test --workspace` built (it builds them if needed).
set -euo pipefail
cd "$(dirname "$0")/.."

screenshots=.ci/work/console-screenshots
load_bench=""
for arg in "$@"; do
  case "$arg" in
    --screenshots) screenshots=docs/dashboard ;;
    --load-time) load_bench=yes ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

. scripts/browser-setup.sh
browser_setup
command -v certutil >/dev/null 2>&1 || {
  [ "$(id -u)" = 0 ] && sudo="" || sudo=sudo
  echo "installing libnss3-tools"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libnss3-tools >/dev/null
}

export CRETOAI_BROWSER_PYTHON="$venv/bin/python"
export CRETOAI_CONSOLE_SCREENSHOTS="$PWD/$screenshots"
if [ -n "$load_bench" ]; then
  cargo build -q -p cretoai-benches --bin cretoai-bench
  export CRETOAI_CONSOLE_LOAD_BENCH="$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)/cretoai-bench"
  budget=600
else
  budget=360
fi
start=$(date +%s)
timeout "$budget" "$test_bin" --nocapture --test-threads 1
echo "console browser suite: $(($(date +%s) - start)) s"
