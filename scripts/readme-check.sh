#!/usr/bin/env bash
# Runs the curl examples of docs/api.md against the real node binary, so they cannot rot:
# checks that docs/api.md shows exactly the commands of scripts/*-examples.sh, starts a
# cretoai-node on a free port with a scratch data dir, serving HTTPS with its generated CA
# (`--tls`), and runs every example script with curl trusting that CA only.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 scripts/readme_examples.py --check
# The node binary `cargo test --workspace` already built, unless CRETOAI_NODE_BIN names one.
BIN="${CRETOAI_NODE_BIN:-$(scripts/test-binaries.sh .ci/work/readme-binaries)/cretoai-node}"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA=$(mktemp -d)
TOKEN="readme-check-root-token-$(date +%s)"
LOG="$DATA/node.log"
CRETOAI_ROOT_TOKEN="$TOKEN" "$BIN" --listen "127.0.0.1:$PORT" --data-dir "$DATA/data" --tls >"$LOG" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

export CURL_CA_BUNDLE="$DATA/data/tls/ca.pem"
for _ in $(seq 1 150); do
  curl -fsS "https://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { cat "$LOG"; echo "node exited" >&2; exit 1; }
  sleep 0.2
done

for script in scripts/*-examples.sh; do
  echo "--> $script"
  if ! BASE="https://127.0.0.1:$PORT" TOKEN="$TOKEN" bash "$script"; then
    echo "--- node log ---"; tail -50 "$LOG"; exit 1
  fi
done
echo "readme examples: $(ls scripts/*-examples.sh | wc -l) scripts passed over HTTPS"
