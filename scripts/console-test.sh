#!/usr/bin/env bash
# The console in a real browser: three real cretoai-node processes and a real AuthZ sidecar
# (started by node/tests/console_browser.rs with the cluster test harness), all serving HTTPS
# with certificates from one cluster CA (cretoai-node issue-certificate, as docker-compose's
# init step does), driven by Selenium in headless Chromium (node/tests/browser/console.py),
# which trusts that CA through an NSS database (certutil) and checks the post-quantum
# connection. Installs what it needs: Debian's chromium, chromium-driver and libnss3-tools
# (certutil), and Selenium from PyPI in a venv under .ci/work.
#
# Usage: scripts/console-test.sh                assert what a person sees (screenshots to .ci/work)
#        scripts/console-test.sh --screenshots  also rewrite docs/dashboard/*.png
#        scripts/console-test.sh --load-time    also measure the time to a fully rendered page
#                                               while cretoai-bench loads the cluster, and write
#                                               the figures to docs/dashboard/load-time.json
# Uses the binaries `cargo test --workspace` built (it builds them if needed).
set -euo pipefail
cd "$(dirname "$0")/.."

screenshots=.ci/work/console-screenshots
load_bench=""
# The machine's 1-minute load average before anything here runs: the figures mean little on a
# busy machine, so the JSON says how quiet it was.
load_before=$(cut -d' ' -f1 /proc/loadavg)
for arg in "$@"; do
  case "$arg" in
    --screenshots) screenshots=docs/dashboard ;;
    --load-time) load_bench=yes ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

. scripts/browser-setup.sh
browser_setup

export CRETOAI_BROWSER_PYTHON="$venv/bin/python"
export CRETOAI_CONSOLE_SCREENSHOTS="$PWD/$screenshots"
if [ -n "$load_bench" ]; then
  [ -x "$bench_bin" ] || { echo "no cretoai-bench binary in the workspace test build" >&2; exit 1; }
  export CRETOAI_CONSOLE_LOAD_BENCH="$bench_bin"
  export CRETOAI_CONSOLE_LOAD_JSON="$PWD/.ci/work/load-time-figures.json"
  rm -f "$CRETOAI_CONSOLE_LOAD_JSON"
  mkdir -p .ci/work
  budget=600
else
  budget=360
fi
start=$(date +%s)
timeout "$budget" "$test_bin" --nocapture --test-threads 1
echo "console browser suite: $(($(date +%s) - start)) s"
if [ -n "$load_bench" ]; then
  # The benchmark page's claims table reads this file (docs/benchmarks/README.md).
  jq --arg date "$(date -u +%F)" --arg commit "$(git rev-parse --short HEAD)" \
    --arg command "scripts/console-test.sh --load-time" --argjson load "$load_before" \
    '{date: $date, commit: $commit, command: $command, load_before: $load,
      loads_per_run: .loads_per_run, median_ms: .median_ms, longest_ms: .longest_ms,
      accepted_tps_per_node: .accepted_tps_per_node}' \
    "$CRETOAI_CONSOLE_LOAD_JSON" >docs/dashboard/load-time.json.tmp
  mv docs/dashboard/load-time.json.tmp docs/dashboard/load-time.json
  echo "docs/dashboard/load-time.json: $(jq -c . docs/dashboard/load-time.json)"
fi
