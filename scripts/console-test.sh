#!/usr/bin/env bash
# The console in a real browser: three real cretoai-node processes and a real AuthZ sidecar
# (started by node/tests/console_browser.rs with the cluster test harness), driven by Selenium
# in headless Chromium (node/tests/browser/console.py). Installs what it needs: Debian's chromium
# and chromium-driver, and Selenium from PyPI in a venv under .ci/work.
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

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v jq >/dev/null 2>&1 || need+=(jq)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
  echo "installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=.ci/work/console-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r node/tests/browser/requirements.txt

# The test executable from the workspace test build (asking cargo for it costs nothing when
# that build is fresh; `cargo test -p ...` would compile with other features).
test_bin=$(cargo test --workspace --no-run --message-format=json 2>/dev/null |
  jq -r 'select(.reason == "compiler-artifact" and .target.name == "console_browser" and .profile.test) | .executable' |
  tail -1)
[ -x "$test_bin" ] || { echo "no console_browser test executable" >&2; exit 1; }

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
