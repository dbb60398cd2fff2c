#!/usr/bin/env bash
# Walks the AuthZ sidecar through its three upgrade phases (classical -> hybrid
# -> pqc) with curl, against a running sidecar, and prints the numbers side by side.
# Needs curl and jq.
#
#   cargo run --release -p cretoai-authz-sidecar &          # prints the admin token at first start
#   BASE=http://127.0.0.1:8090 TOKEN=<admin token> scripts/authz-demo.sh
#
# The sidecar serves plain HTTP on loopback (the development default) and HTTPS everywhere else.
# Against the compose cluster's sidecar (HTTPS, the cluster's CA from scripts/demo.sh):
#   BASE=https://127.0.0.1:8090 CACERT=cretoai-ca.pem TOKEN=<root token> scripts/authz-demo.sh
#
# Every call that should succeed uses `curl -fsS`, so an unexpected status stops the script.
set -euo pipefail

BASE="${BASE:-http://127.0.0.1:8090}"
TOKEN="${TOKEN:-${CRETOAI_ROOT_TOKEN:-}}"
: "${TOKEN:?set TOKEN (or CRETOAI_ROOT_TOKEN) to the sidecar admin token}"
ROUNDS="${ROUNDS:-20}"                # checks per phase for the live statistics
AUTH="Authorization: Bearer $TOKEN"
JSON="Content-Type: application/json"
# curl verifies an https BASE against CACERT (else curl's own CURL_CA_BUNDLE or system store).
if [ -n "${CACERT:-}" ]; then export CURL_CA_BUNDLE="$CACERT"; fi
step() { printf '\n== %s\n' "$*"; }

# A payments agent moving 120 EUR within its 5000 EUR limit (policies/payments-agent.cedar).
CHECK='{"principal":{"id":"agent-7","roles":["payments-agent"],"attributes":{"transfer_limit":5000,"currency":"EUR"}},
        "resource":{"kind":"Payment","id":"p-42","attributes":{"amount":120,"currency":"EUR","destination_country":"DE"}},
        "action":"payments:initiate","context":{}}'

check() { curl -fsS -X POST "$BASE/v1/authorization/check" -H "$AUTH" -H "$JSON" -d "$CHECK"; }
verify() { curl -sS -X POST "$BASE/v1/tokens/verify" -H "$JSON" -d "{\"token\":\"$1\"}"; }
set_mode() {
  curl -fsS -X PUT "$BASE/v1/admin/mode" -H "$AUTH" -H "$JSON" -d "{\"mode\":\"$1\"}" \
    | jq -c '{mode, signing_alg, accepts}'
}

step "GET /healthz and the published keys"
curl -fsS "$BASE/healthz"; echo
curl -fsS "$BASE/.well-known/jwks.json" | jq -r '.keys[] | "  \(.alg)\t\(.kty)\tkid \(.kid[0:16])..."'

# One variable per phase (bash 3.2, as macOS ships it, has no associative arrays).
for mode in classical hybrid pqc; do
  step "Phase: $mode"
  set_mode "$mode"
  answer=$(check)
  echo "$answer" | jq -c '{allowed, effect, policy, rule, signature: {alg: .signature.alg, sign_us: (.signature.sign_us*10|round/10)}, token_bytes: (.decision_token|length)}'
  token=$(echo "$answer" | jq -r .decision_token)
  eval "TOKEN_$mode=\$token"
  for _ in $(seq 2 "$ROUNDS"); do check >/dev/null; done
  echo "  verify this phase's token:"
  verify "$token" | jq -c '{valid, alg, mode, sub: .claims.sub, effect: .claims.effect}'
done

step "Acceptance in pqc mode: the classical token is refused, with the reason"
verify "$TOKEN_classical" | jq -c .
echo "  the hybrid (composite) token is still accepted:"
verify "$TOKEN_hybrid" | jq -c '{valid, alg}'

step "A tampered token (payload changed, signature kept)"
IFS=. read -r h _ s <<<"$TOKEN_pqc"
forged_payload=$(printf '{"effect":"allow","sub":"agent-evil"}' | base64 | tr '+/' '-_' | tr -d '=\n')
verify "$h.$forged_payload.$s" | jq -c .

step "Every algorithm on the same decision (\"compare\": true)"
echo "$CHECK" | jq '. + {compare: true}' \
  | curl -fsS -X POST "$BASE/v1/authorization/check" -H "$AUTH" -H "$JSON" -d @- \
  | jq -r '["algorithm","backend","sign µs","verify µs","token B","signature B"],
           (.compare[] | [.alg, .backend, (.sign_us*10|round/10), (.verify_us*10|round/10), .token_bytes, .signature_bytes])
           | @tsv' | column -t -s $'\t'

step "Live statistics over recent checks (GET /v1/compare)"
curl -fsS "$BASE/v1/compare" \
  | jq -r '["algorithm","backend","samples","sign p50","sign p95","verify p50","verify p95","token B","pubkey B"],
           (.algorithms[] | [.alg, .backend, .sign_samples,
              (.sign_us.p50 // 0 | .*10|round/10), (.sign_us.p95 // 0 | .*10|round/10),
              (.verify_us.p50 // 0 | .*10|round/10), (.verify_us.p95 // 0 | .*10|round/10),
              .token_bytes, .public_key_bytes])
           | @tsv' | column -t -s $'\t'

step "Back to classical (rollback is one call)"
set_mode classical
