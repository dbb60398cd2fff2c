#!/usr/bin/env bash
# Walks the CretoAI story against a running docker-compose cluster, with curl, and narrates it:
# keys, encryption, signatures, the vault, a transaction accepted by all three nodes, and an
# authorization decision signed classical -> hybrid -> pqc with the numbers side by side; at
# the end it prints sign-in links to the console (/dashboard).
#
# Usage: docker-compose up -d && scripts/demo.sh
#   CRETOAI_ROOT_TOKEN   the cluster's root token (default: the compose demo token)
#   CRETOAI_HOST         where the ports are published (default 127.0.0.1)
#   CACERT               the cluster's CA (default ./cretoai-ca.pem, fetched from node1 with
#                        `docker-compose exec` when missing)
#   COMPOSE              compose command for that (default: docker-compose, else docker compose)
# Needs curl and jq. Every figure printed is measured by the running services. Every call is
# HTTPS, verified against the cluster's CA.
set -euo pipefail

TOKEN="${CRETOAI_ROOT_TOKEN:-cretoai-demo-root-token-CHANGE-ME}"
HOST="${CRETOAI_HOST:-127.0.0.1}"
NODES=("https://$HOST:8081" "https://$HOST:8082" "https://$HOST:8083")
SIDECAR="https://$HOST:8090"
CACERT="${CACERT:-cretoai-ca.pem}"
AUTH="Authorization: Bearer $TOKEN"
JSON="Content-Type: application/json"
RUN="demo-$(date +%s)"

for tool in curl jq base64; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

if [ ! -s "$CACERT" ]; then
  if [ -z "${COMPOSE:-}" ]; then
    if command -v docker-compose >/dev/null; then COMPOSE=docker-compose; else COMPOSE="docker compose"; fi
  fi
  $COMPOSE exec -T node1 cat /etc/cretoai/cluster/ca.pem >"$CACERT.tmp" && mv "$CACERT.tmp" "$CACERT" ||
    { rm -f "$CACERT.tmp"; echo "cannot fetch the cluster's CA from node1: is the cluster up (docker-compose up -d)?" >&2; exit 1; }
fi
export CURL_CA_BUNDLE="$CACERT"

bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
[ -t 1 ] || bold="" dim="" off=""
say() { printf '\n%s%s%s\n' "$bold" "$*" "$off"; }
show() { printf '  %s\n' "$@"; }
# post/get/put <url> [body]: JSON answer, or stop with the error the service gave
req() {
  local method=$1 url=$2 body=${3:-} out code
  out=$(curl -sS -X "$method" -H "$AUTH" -H "$JSON" ${body:+--data-binary "$body"} -w '\n%{http_code}' "$url") ||
    { echo "cannot reach $url: is the cluster up (docker-compose up -d)?" >&2; exit 1; }
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ "$code" == 2* ]] || { echo "$method $url -> $code $out" >&2; exit 1; }
  printf '%s\n' "$out"
}
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }

say "1. Three nodes and the AuthZ sidecar"
for i in 0 1 2; do
  status=$(req GET "${NODES[$i]}/v1/consensus/status")
  show "node$((i + 1))  ${NODES[$i]}  id $(jq -r '.node_id[0:16]' <<<"$status")...  active=$(jq -r .active <<<"$status")  peers: $(jq -r '[.peers[] | "\(.key_exchange_group) rtt \(if .rtt_ms then (.rtt_ms * 10 | round / 10) else "?" end) ms"] | join(", ")' <<<"$status")"
done
show "sidecar $SIDECAR  mode $(req GET "$SIDECAR/v1/mode" | jq -r .mode)"
connection=$(req GET "${NODES[0]}/v1/sys/connection")
show "this terminal -> node1: HTTPS $(jq -r '"\(.tls_version), key exchange \(.key_exchange_group) (\(if .post_quantum then "post-quantum" else "classical" end))"' <<<"$connection")"
show "${dim}Peers talk QUIC with a hybrid X25519 + ML-KEM-768 key exchange and pinned ML-DSA-65 identities;${off}"
show "${dim}clients reach every REST port over HTTPS with the same hybrid key exchange (CA: $CACERT).${off}"

say "2. Keys: an ML-KEM-768 encryption key and an ML-DSA-65 signing key on node1"
N1=${NODES[0]}
req POST "$N1/v1/keys" "{\"name\":\"box-$RUN\",\"type\":\"ml-kem-768\"}" | jq -r '"  created \(.name) (\(.type)), version \(.latest_version)"'
req POST "$N1/v1/keys" "{\"name\":\"signer-$RUN\",\"type\":\"ml-dsa-65\"}" | jq -r '"  created \(.name) (\(.type)), version \(.latest_version)"'
show "${dim}Private keys never leave the node; they are sealed at rest under its master key.${off}"

say "3. Encrypt and decrypt (ML-KEM-768 + AES-256-GCM)"
message="wire 120 EUR to ACME, order 42"
sealed=$(req POST "$N1/v1/encrypt" "{\"key\":\"box-$RUN\",\"plaintext\":\"$(b64 "$message")\",\"aad\":\"$(b64 order-42)\"}" | jq -r .ciphertext)
show "plaintext:  $message" "ciphertext: ${sealed:0:48}... ($(printf '%s' "${sealed##*:}" | base64 -d | wc -c) bytes: ML-KEM-768 ciphertext, AES-256-GCM body and tag)"
opened=$(req POST "$N1/v1/decrypt" "{\"key\":\"box-$RUN\",\"ciphertext\":\"$sealed\",\"aad\":\"$(b64 order-42)\"}" | jq -r .plaintext | base64 -d)
show "decrypted:  $opened"

say "4. Sign and verify (ML-DSA-65, FIPS 204, with a context string)"
signature=$(req POST "$N1/v1/sign" "{\"key\":\"signer-$RUN\",\"message\":\"$(b64 "$message")\",\"context\":\"payments/v1\"}" | jq -r .signature)
show "signature: $(printf '%s' "$signature" | base64 -d | wc -c) bytes"
show "verify original: $(req POST "$N1/v1/verify" "{\"key\":\"signer-$RUN\",\"message\":\"$(b64 "$message")\",\"signature\":\"$signature\",\"context\":\"payments/v1\"}" | jq -r .valid)"
show "verify tampered: $(req POST "$N1/v1/verify" "{\"key\":\"signer-$RUN\",\"message\":\"$(b64 "${message/120/920}")\",\"signature\":\"$signature\",\"context\":\"payments/v1\"}" | jq -r .valid)"

say "5. Vault: a versioned secret on node2"
N2=${NODES[1]}
req PUT "$N2/v1/vault/secrets/agents/$RUN/stripe" '{"data":{"api_key":"sk_demo_1"}}' >/dev/null
req PUT "$N2/v1/vault/secrets/agents/$RUN/stripe" '{"data":{"api_key":"sk_demo_2"}}' | jq -r '"  wrote version \(.version)"'
req GET "$N2/v1/vault/secrets/agents/$RUN/stripe" | jq -r '"  read back version \(.version): \(.data.api_key)"'
req GET "$N2/v1/vault/secrets/agents/$RUN/stripe?version=1" | jq -r '"  version 1 still readable: \(.data.api_key)"'
# Every node applies the write once the cluster accepted it; node3 has it within a moment.
seen=""
for _ in $(seq 1 50); do
  seen=$(curl -sS -H "$AUTH" "${NODES[2]}/v1/vault/secrets/agents/$RUN/stripe" | jq -r '.version // empty' 2>/dev/null || true)
  [ "$seen" = 2 ] && break
  sleep 0.2
done
show "node3 reads version ${seen:-(not yet)} too: keys, secrets and tokens are replicated through consensus"
show "${dim}Values are encrypted at rest in each node's volume and survive restarts.${off}"

say "6. A transaction through QR-Avalanche consensus: submitted to node1, accepted by all three"
tx=$(req POST "$N1/v1/consensus/transactions" "{\"key\":\"signer-$RUN\",\"payload\":\"$(b64 "$message")\"}" | jq -r .tx_id)
show "submitted to node1: tx $tx"
for i in 0 1 2; do
  for _ in $(seq 1 120); do
    answer=$(curl -sS -H "$AUTH" "${NODES[$i]}/v1/consensus/transactions/$tx" || true)
    [ "$(jq -r '.status // empty' <<<"$answer" 2>/dev/null)" = accepted ] && break
    sleep 0.25
  done
  show "node$((i + 1)): $(jq -r '"\(.status // "unknown"), finality \(.finality_ms // "?") ms, in vertex \((.vertex // "?")[0:16])..."' <<<"$answer")"
done

say "7. One authorization decision, signed classical -> hybrid -> pqc"
check='{"principal":{"id":"agent-7","roles":["payments-agent"],"attributes":{"transfer_limit":5000,"currency":"EUR"}},"resource":{"kind":"Payment","id":"p-42","attributes":{"amount":120,"currency":"EUR","destination_country":"DE"}},"action":"payments:initiate","context":{}}'
original_mode=$(req GET "$SIDECAR/v1/mode" | jq -r .mode)
printf '  %-10s %-20s %10s %12s %12s  %s\n' mode alg sign_us token_bytes verified anchored
for mode in classical hybrid pqc; do
  req PUT "$SIDECAR/v1/admin/mode" "{\"mode\":\"$mode\"}" >/dev/null
  decision=$(req POST "$SIDECAR/v1/authorization/check" "$check")
  token=$(jq -r .decision_token <<<"$decision")
  valid=$(req POST "$SIDECAR/v1/tokens/verify" "{\"token\":\"$token\"}" | jq -r .valid)
  anchored=$(jq -r '.sidecar.anchor_tx_id // "-"' <<<"$decision")
  printf '  %-10s %-20s %10s %12s %12s  %s\n' "$mode" "$(jq -r .signature.alg <<<"$decision")" \
    "$(jq -r '.signature.sign_us | floor' <<<"$decision")" "${#token}" "$valid" "${anchored:0:16}"
done
show "" "allowed: $(jq -r .allowed <<<"$decision") (policy $(jq -r .policy <<<"$decision"))"
say "   Every algorithm on the same decision (compare: true)"
req POST "$SIDECAR/v1/authorization/check" "${check%\}},\"compare\":true}" |
  jq -r '.compare[] | [.alg, .backend, (.sign_us | floor), (.verify_us | floor), .signature_bytes, .token_bytes] | @tsv' |
  awk -F'\t' 'BEGIN { printf "  %-20s %-10s %10s %10s %10s %12s\n", "alg", "backend", "sign_us", "verify_us", "sig_bytes", "token_bytes" }
    { printf "  %-20s %-10s %10s %10s %10s %12s\n", $1, $2, $3, $4, $5, $6 }'
req PUT "$SIDECAR/v1/admin/mode" "{\"mode\":\"$original_mode\"}" >/dev/null
show "${dim}Mode restored to $original_mode. Live statistics: $SIDECAR/v1/compare${off}"

say "8. The console: trust the demo CA once, then open one of these links in a browser"
show "The browser meets the cluster's CA ($CACERT) as unknown until it is trusted:"
show "  Linux (Chrome, Chromium, Firefox) and macOS: scripts/trust-ca.sh $CACERT"
show "  Windows: double-click $CACERT > Install Certificate > Current User >"
show "           Place all certificates in: Trusted Root Certification Authorities > Finish"
show "  Cannot change the trust store? Open the link, choose Advanced > Proceed to 127.0.0.1;"
show "  the connection is still encrypted, the browser just cannot tell whose certificate it is."
# The token travels in the URL fragment, which browsers never send to a server; the page moves it
# to the tab's session storage and removes it from the address bar.
urlencode() { jq -rn --arg v "$1" '$v | @uri'; }
viewer=$(req POST "$N1/v1/auth/tokens" '{"scopes":["viewer"],"ttl_seconds":86400}' | jq -r .token)
show "operator (root token, every panel usable): ${NODES[0]}/dashboard#token=$(urlencode "$TOKEN")"
show "demo screen (viewer token, read-only, valid 24 h, any node): ${NODES[0]}/dashboard#token=$(urlencode "$viewer")"
show "${dim}Tokens are replicated: both links work on all three nodes (:8081, :8082, :8083).${off}"

say "Done. Swagger UI: ${NODES[0]}/docs/   metrics: ${NODES[0]}/metrics"
