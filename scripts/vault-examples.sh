#!/usr/bin/env bash
# One curl example for every vault and audit endpoint of the CretoAI node, run in order against
# a live node. docs/api.md shows the same commands. Needs curl and jq.
#
#   BASE=http://127.0.0.1:8080 TOKEN=<root token> scripts/vault-examples.sh
#
# Calls that must succeed use `curl -fsS` (any non-2xx status stops the script); calls that
# must fail check their status and error code with `expect`.
set -euo pipefail

BASE="${BASE:-http://127.0.0.1:8080}"
TOKEN="${TOKEN:?set TOKEN to the root token (CRETOAI_ROOT_TOKEN or the one printed at first start)}"
RUN="${RUN:-$(date +%s)-$$}"          # keeps paths unique across runs
SECRET="agents/billing-$RUN/stripe"
AUTH="Authorization: Bearer $TOKEN"
JSON="Content-Type: application/json"
step() { printf '\n== %s\n' "$*"; }
# expect STATUS CODE curl-args...: runs curl, checks the HTTP status and the JSON error code.
expect() {
  local status=$1 code=$2 body got; shift 2
  body=$(mktemp)
  got=$(curl -sS -o "$body" -w '%{http_code}' "$@")
  if [ "$got" != "$status" ] || [ "$(jq -r .error.code "$body")" != "$code" ]; then
    echo "expected $status $code, got $got: $(cat "$body")" >&2; rm -f "$body"; return 1
  fi
  jq -c .error "$body"; rm -f "$body"
}

step "PUT /v1/vault/secrets/{path}: version 1, only if it does not exist yet (cas 0)"
curl -fsS -X PUT "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" -H "$JSON" -d '{"data":{"api_key":"sk_test_123"},"cas":0}' | jq -e '.version == 1'

step "PUT again with cas 1: version 2"
curl -fsS -X PUT "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" -H "$JSON" -d '{"data":{"api_key":"sk_test_456"},"cas":1}' | jq -e '.version == 2'

step "PUT with a stale cas: 409 cas_mismatch, nothing written"
expect 409 cas_mismatch -X PUT "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" -H "$JSON" -d '{"data":{"api_key":"lost"},"cas":1}'

step "GET /v1/vault/secrets/{path}: the newest version"
curl -fsS "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" | jq -c '{data, version}'

step "GET /v1/vault/secrets/{path}?consistent=true: in a cluster, first waits until this node has applied every change to the path it has received (docs/cluster.md)"
curl -fsS "$BASE/v1/vault/secrets/$SECRET?consistent=true" -H "$AUTH" | jq -c '{version}'

step "GET /v1/vault/secrets/{path}?version=1"
curl -fsS "$BASE/v1/vault/secrets/$SECRET?version=1" -H "$AUTH" | jq -r .data.api_key

step "GET /v1/vault/secrets?prefix=agents/: paths only, never values"
curl -fsS "$BASE/v1/vault/secrets?prefix=agents/billing-$RUN/" -H "$AUTH" | jq -c .paths

step "DELETE /v1/vault/secrets/{path}: soft-deletes the newest version"
curl -fsS -X DELETE "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" -o /dev/null -w '%{http_code}\n'

step "GET a deleted version: 404 secret_version_deleted"
expect 404 secret_version_deleted "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH"

step "POST /v1/vault/secrets/{path}/undelete"
curl -fsS -X POST "$BASE/v1/vault/secrets/$SECRET/undelete" -H "$AUTH" -H "$JSON" -d '{"versions":[2]}' -o /dev/null -w '%{http_code}\n'
curl -fsS "$BASE/v1/vault/secrets/$SECRET" -H "$AUTH" | jq -e '.version == 2'

step "POST /v1/vault/secrets/{path}/destroy: version 1's ciphertext is removed for good"
curl -fsS -X POST "$BASE/v1/vault/secrets/$SECRET/destroy" -H "$AUTH" -H "$JSON" -d '{"versions":[1]}' -o /dev/null -w '%{http_code}\n'
expect 410 secret_version_destroyed "$BASE/v1/vault/secrets/$SECRET?version=1" -H "$AUTH"

step "GET /v1/vault/metadata/{path}: versions and their states"
curl -fsS "$BASE/v1/vault/metadata/$SECRET" -H "$AUTH" | jq -c '{current_version, max_versions, versions: [.versions[] | {version, state}]}'

step "POST /v1/vault/metadata/{path}: keep at most 5 versions"
curl -fsS -X POST "$BASE/v1/vault/metadata/$SECRET" -H "$AUTH" -H "$JSON" -d '{"max_versions":5}' | jq -e '.max_versions == 5'

step "A token scoped to one path prefix (read only)"
READER=$(curl -fsS -X POST "$BASE/v1/auth/tokens" -H "$AUTH" -H "$JSON" -d "{\"scopes\":[\"vault:read:agents/billing-$RUN/*\"],\"ttl_seconds\":600}" | jq -r .token)
curl -fsS "$BASE/v1/vault/secrets/$SECRET" -H "Authorization: Bearer $READER" | jq -e '.version == 2'
expect 403 forbidden -X PUT "$BASE/v1/vault/secrets/$SECRET" -H "Authorization: Bearer $READER" -H "$JSON" -d '{"data":{"x":1}}'

step "Rotate the vault key, then POST /v1/vault/rewrap (re-wraps data keys, returns no values)"
curl -fsS -X POST "$BASE/v1/keys/_vault/rotate" -H "$AUTH" | jq -c '{name, latest_version}'
curl -fsS -X POST "$BASE/v1/vault/rewrap" -H "$AUTH" | jq -c .

step "DELETE /v1/vault/metadata/{path}: the secret and all its versions"
curl -fsS -X DELETE "$BASE/v1/vault/metadata/$SECRET" -H "$AUTH" -o /dev/null -w '%{http_code}\n'
expect 404 secret_not_found "$BASE/v1/vault/metadata/$SECRET" -H "$AUTH"

step "GET /v1/audit: the newest records (admin)"
curl -fsS "$BASE/v1/audit?limit=1000" -H "$AUTH" | jq -c '.records[-3:][] | {seq, token_id, operation, target, outcome}'

step "GET /v1/audit?after=<seq>&limit=: page through the log"
curl -fsS "$BASE/v1/audit?after=0&limit=2" -H "$AUTH" | jq -c '{seqs: [.records[].seq], next_after}'

step "GET /v1/audit/verify: recompute the hash chain"
curl -fsS "$BASE/v1/audit/verify" -H "$AUTH" | jq -e '.valid == true'
