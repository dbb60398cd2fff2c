#!/usr/bin/env bash
# Links the `cretoai-node`, `cretoai-authz-sidecar`, `cretoai-authz-bench`, `cretoai-bench` and
# `cretoai-compare` binaries that `cargo test --workspace` built for the integration tests
# (CARGO_BIN_EXE_*) into DIR and prints DIR. Asking cargo for the artifacts of that already
# fresh build costs nothing, while `cargo build -p ...` would compile the workspace again in
# the dev profile with other features (several minutes on 2 cores).
#
# Usage: scripts/test-binaries.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."

bins="${1:?usage: scripts/test-binaries.sh DIR}"
rm -rf "$bins"
mkdir -p "$bins"
# Links, not copies: debug binaries are hundreds of MB each. `.profile.test` is true for a
# binary's own unit-test harness, which has the same name.
{ cargo test --workspace --no-run --message-format=json 2>/dev/null || true; } |
  jq -r 'select(.reason == "compiler-artifact" and (.target.kind | index("bin")) and (.profile.test | not)
         and (.target.name | IN("cretoai-node", "cretoai-authz-sidecar", "cretoai-authz-bench", "cretoai-bench", "cretoai-compare")))
         | .executable' |
  sort -u | while read -r exe; do ln -sf "$exe" "$bins/"; done
for bin in cretoai-node cretoai-authz-sidecar cretoai-authz-bench cretoai-bench cretoai-compare; do
  [ -x "$bins/$bin" ] && continue
  echo "the test build has no $bin: building it (dev profile)" >&2
  package=$(case "$bin" in
    cretoai-bench) echo cretoai-benches ;;
    cretoai-compare) echo cretoai-comparison ;;
    cretoai-authz-bench) echo cretoai-authz-sidecar ;;
    *) echo "$bin" ;;
  esac)
  cargo build -q -p "$package" --bin "$bin" >&2
  ln -sf "$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)/$bin" "$bins/"
done
echo "$bins"
