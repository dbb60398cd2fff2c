#!/usr/bin/env bash
# Links the `cretoai-node` and `cretoai-authz-sidecar` binaries that `cargo test --workspace`
# built for the integration tests (CARGO_BIN_EXE_*) into DIR and prints DIR. Asking cargo for the
# artifacts of that already fresh build costs nothing, while `cargo build -p ...` would compile
# the workspace again in the dev profile with other features (several minutes on 2 cores).
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
         and (.target.name == "cretoai-node" or .target.name == "cretoai-authz-sidecar"))
         | .executable' |
  sort -u | while read -r exe; do ln -sf "$exe" "$bins/"; done
if [ ! -x "$bins/cretoai-node" ] || [ ! -x "$bins/cretoai-authz-sidecar" ]; then
  echo "the test build has not both binaries: building them (dev profile)" >&2
  cargo build -q -p cretoai-node -p cretoai-authz-sidecar >&2
  debug_dir="$(cd "${CARGO_TARGET_DIR:-target}/debug" && pwd)"
  for bin in cretoai-node cretoai-authz-sidecar; do ln -sf "$debug_dir/$bin" "$bins/"; done
fi
echo "$bins"
