# Sourced by the scripts that drive the console in Chromium (console-test.sh, make-video.sh).
# browser_setup [extra tools...]: installs chromium, chromium-driver, jq, libnss3-tools (certutil,
# to trust the test cluster's CA in Chromium's NSS database), python3-venv and each extra tool (from the Debian package of the same name) with apt when missing, Selenium
# into the venv .ci/work/console-venv, and sets
#   venv      the venv's folder
#   test_bin  the console_browser test executable of the workspace test build (asking cargo for
#             it costs nothing when that build is fresh; `cargo test -p ...` would compile with
#             other features)
#   bench_bin the cretoai-bench binary of that same build
browser_setup() {
  local sudo="" need=() tool
  [ "$(id -u)" = 0 ] || sudo="sudo"
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
  for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
  if ((${#need[@]})); then
    echo "installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  venv=.ci/work/console-venv
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r node/tests/browser/requirements.txt
  artifacts=.ci/work/test-artifacts.json
  cargo test --workspace --no-run --message-format=json 2>/dev/null >"$artifacts"
  test_bin=$(jq -r 'select(.reason == "compiler-artifact" and .target.name == "console_browser" and .profile.test) | .executable' \
    "$artifacts" | tail -1)
  [ -x "$test_bin" ] || { echo "no console_browser test executable" >&2; return 1; }
  # The load generator from the same build (a `cargo build -p` would resolve other features
  # and compile everything again).
  bench_bin=$(jq -r 'select(.reason == "compiler-artifact" and .target.name == "cretoai-bench" and (.target.kind | index("bin")) and (.profile.test | not)) | .executable' \
    "$artifacts" | tail -1)
}
