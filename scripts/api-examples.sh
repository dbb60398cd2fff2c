#!/usr/bin/env bash
# One curl example for every endpoint of the CretoAI node, run in order against a live node.
# docs/api.md shows the same commands. Needs curl, jq and base64.
#
#   BASE=http://127.0.0.1:8080 TOKEN=<root token> scripts/api-examples.sh
#   BASE=https://127.0.0.1:8080 CURL_CA_BUNDLE=<data-dir>/tls/ca.pem TOKEN=... scripts/api-examples.sh
#
# Every call uses `curl -fsS`, so any non-2xx status stops the script with an error.
set -euo pipefail

BASE="${BASE:-http://127.0.0.1:8080}"
TOKEN="${TOKEN:?set TOKEN to the root token (CRETOAI_ROOT_TOKEN or the one printed at first start)}"
RUN="${RUN:-$(date +%s)-$$}"          # keeps key names unique across runs
SIGNER="signer-$RUN"
BOX="box-$RUN"
AUTH="Authorization: Bearer $TOKEN"
JSON="Content-Type: application/json"
step() { printf '\n== %s\n' "$*"; }

step "GET /health (no token)"
curl -fsS "$BASE/health"

step "GET /ready (no token)"
curl -fsS "$BASE/ready"

step "GET /v1/sys/connection: this client's TLS version and key exchange (any valid token)"
curl -fsS "$BASE/v1/sys/connection" -H "$AUTH" | jq -c '{transport, tls_version, key_exchange_group, post_quantum}'

step "POST /v1/keys: an ML-DSA-65 signing key"
curl -fsS -X POST "$BASE/v1/keys" -H "$AUTH" -H "$JSON" -d "{\"name\":\"$SIGNER\",\"type\":\"ml-dsa-65\"}" | jq -c '{name, type, latest_version}'

step "POST /v1/keys: an ML-KEM-768 encryption key, deletable"
curl -fsS -X POST "$BASE/v1/keys" -H "$AUTH" -H "$JSON" -d "{\"name\":\"$BOX\",\"type\":\"ml-kem-768\",\"deletion_allowed\":true}" | jq -c '{name, type, deletion_allowed}'

step "GET /v1/keys"
curl -fsS "$BASE/v1/keys" -H "$AUTH" | jq -c '.keys | length'

step "GET /v1/keys/{name}: settings and public keys of live versions"
BOX_PUBLIC_KEY=$(curl -fsS "$BASE/v1/keys/$BOX" -H "$AUTH" | jq -r '.versions[-1].public_key')
echo "public key: ${#BOX_PUBLIC_KEY} base64 chars"

step "POST /v1/encrypt with a named key (plaintext and aad are base64)"
CIPHERTEXT=$(curl -fsS -X POST "$BASE/v1/encrypt" -H "$AUTH" -H "$JSON" -d "{\"key\":\"$BOX\",\"plaintext\":\"$(printf 'hello pq world' | base64)\",\"aad\":\"$(printf 'order-42' | base64)\"}" | jq -r .ciphertext)
echo "${CIPHERTEXT:0:40}..."

step "POST /v1/decrypt"
curl -fsS -X POST "$BASE/v1/decrypt" -H "$AUTH" -H "$JSON" -d "{\"key\":\"$BOX\",\"ciphertext\":\"$CIPHERTEXT\",\"aad\":\"$(printf 'order-42' | base64)\"}" | jq -r .plaintext | base64 -d; echo

step "POST /v1/encrypt to a bare public key (someone else's ML-KEM-768 key)"
curl -fsS -X POST "$BASE/v1/encrypt" -H "$AUTH" -H "$JSON" -d "{\"public_key\":\"$BOX_PUBLIC_KEY\",\"algorithm\":\"ml-kem-768\",\"plaintext\":\"$(printf 'sealed to a public key' | base64)\"}" | jq -c '{key_version, ciphertext: .ciphertext[0:24]}'

step "POST /v1/sign with a FIPS 204 context string"
SIGNATURE=$(curl -fsS -X POST "$BASE/v1/sign" -H "$AUTH" -H "$JSON" -d "{\"key\":\"$SIGNER\",\"message\":\"$(printf 'pay 10 EUR' | base64)\",\"context\":\"payments/v1\"}" | jq -r .signature)
echo "signature: ${#SIGNATURE} base64 chars"

step "POST /v1/verify with the named key"
curl -fsS -X POST "$BASE/v1/verify" -H "$AUTH" -H "$JSON" -d "{\"key\":\"$SIGNER\",\"message\":\"$(printf 'pay 10 EUR' | base64)\",\"signature\":\"$SIGNATURE\",\"context\":\"payments/v1\"}" | jq -e '.valid == true'

step "POST /v1/verify with a bare public key (no stored key needed)"
SIGNER_PUBLIC_KEY=$(curl -fsS "$BASE/v1/keys/$SIGNER" -H "$AUTH" | jq -r '.versions[-1].public_key')
curl -fsS -X POST "$BASE/v1/verify" -H "$AUTH" -H "$JSON" -d "{\"public_key\":\"$SIGNER_PUBLIC_KEY\",\"algorithm\":\"ml-dsa-65\",\"message\":\"$(printf 'pay 10 EUR' | base64)\",\"signature\":\"$SIGNATURE\",\"context\":\"payments/v1\"}" | jq -e '.valid == true'

step "POST /v1/keys/{name}/rotate: version 2 becomes the latest"
curl -fsS -X POST "$BASE/v1/keys/$SIGNER/rotate" -H "$AUTH" | jq -e '.latest_version == 2'

step "POST /v1/keys/{name}/config: retire version 1"
curl -fsS -X POST "$BASE/v1/keys/$SIGNER/config" -H "$AUTH" -H "$JSON" -d '{"min_decryption_version":2}' | jq -c '{latest_version, min_decryption_version}'

step "POST /v1/sign/batch: per-item results (the second item names a missing key)"
curl -fsS -X POST "$BASE/v1/sign/batch" -H "$AUTH" -H "$JSON" -d "[{\"key\":\"$SIGNER\",\"message\":\"$(printf a | base64)\"},{\"key\":\"missing-$RUN\",\"message\":\"\"}]" | jq -c '[.[] | (.key_version // .error.code)]'

step "POST /v1/verify/batch"
curl -fsS -X POST "$BASE/v1/verify/batch" -H "$AUTH" -H "$JSON" -d "[{\"key\":\"$SIGNER\",\"message\":\"$(printf 'pay 10 EUR' | base64)\",\"signature\":\"$SIGNATURE\",\"context\":\"payments/v1\"}]" | jq -c '[.[].valid]'

step "POST /v1/encrypt/batch"
BATCH=$(curl -fsS -X POST "$BASE/v1/encrypt/batch" -H "$AUTH" -H "$JSON" -d "[{\"key\":\"$BOX\",\"plaintext\":\"$(printf one | base64)\"},{\"key\":\"$BOX\",\"plaintext\":\"$(printf two | base64)\"}]")
echo "$BATCH" | jq -c '[.[].key_version]'

step "POST /v1/decrypt/batch"
curl -fsS -X POST "$BASE/v1/decrypt/batch" -H "$AUTH" -H "$JSON" -d "$(echo "$BATCH" | jq -c --arg key "$BOX" '[.[] | {key: $key, ciphertext}]')" | jq -r '.[].plaintext' | base64 -d; echo

step "POST /v1/auth/tokens: a token that may only sign, for one hour"
NEW_TOKEN=$(curl -fsS -X POST "$BASE/v1/auth/tokens" -H "$AUTH" -H "$JSON" -d '{"scopes":["crypto:sign"],"ttl_seconds":3600}')
echo "$NEW_TOKEN" | jq -c '{id, scopes, expires_at}'

step "DELETE /v1/auth/tokens/{id}"
curl -fsS -X DELETE "$BASE/v1/auth/tokens/$(echo "$NEW_TOKEN" | jq -r .id)" -H "$AUTH" -o /dev/null -w '%{http_code}\n'

step "DELETE /v1/keys/{name} (allowed because deletion_allowed is true)"
curl -fsS -X DELETE "$BASE/v1/keys/$BOX" -H "$AUTH" -o /dev/null -w '%{http_code}\n'

step "An error: unknown key -> 404 with the JSON error shape"
test "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/v1/sign" -H "$AUTH" -H "$JSON" -d '{"key":"no-such-key","message":""}')" = 404
curl -sS -X POST "$BASE/v1/sign" -H "$AUTH" -H "$JSON" -d '{"key":"no-such-key","message":""}' | jq -c .

step "GET /metrics (Prometheus text)"
curl -fsS "$BASE/metrics" | grep "^cretoai_crypto_operations_total"

step "GET /openapi.json and the Swagger UI at /docs/"
curl -fsS "$BASE/openapi.json" | jq -r '.info.title'
curl -fsS "$BASE/docs/" -o /dev/null -w '%{http_code}\n'

printf '\nall examples passed\n'
