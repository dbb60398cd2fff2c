#!/usr/bin/env bash
# FinTech use case: payment agents whose every action is authorized through the AuthZ sidecar in
# pqc mode (ML-DSA signed decisions) and anchored on the cluster's DAG; a forged token and a
# classical-only token are refused; the decision trail is read back from all three nodes, and
# each anchor is recomputed from its decision token. The sidecar's mode is restored at the end.
# Page: docs/customer/use-cases/fintech.md
#
#   docker-compose up -d && scripts/use-cases/fintech.sh
#   BASE1=... BASE2=... BASE3=... SIDECAR=... TOKEN=... scripts/use-cases/fintech.sh
#
# Needs bash, curl and jq (sha256sum or shasum to recompute the anchors). Safe to run again.
set -euo pipefail
# shellcheck source=scripts/use-cases/lib.sh
. "$(dirname "$0")/lib.sh"

printf '%sFinTech: payment agents authorized post-quantum, every decision anchored%s\n' "$bold" "$off"
preflight

mode_of() { jq -r '"mode \(.mode): signs \(.signing_alg), accepts \(.accepts | join(", "))"' <<<"$1"; }
set_mode() { expect 200 PUT "$SIDECAR/v1/admin/mode" "{\"mode\":\"$1\"}" "$SIDECAR_TOKEN"; }

step "The sidecar and its anchoring"
mode=$(expect 200 GET "$SIDECAR/v1/mode" "" "")
previous_mode=$(jq -r .mode <<<"$mode")
show "sidecar $SIDECAR, $(mode_of "$mode")"
anchor=$(expect 200 GET "$SIDECAR/v1/anchor" "" "")
[ "$(jq -r .enabled <<<"$anchor")" = true ] ||
  fail "the sidecar does not anchor decisions (GET /v1/anchor: $anchor); set CRETOAI_AUTHZ_ANCHOR_NODE_URL"
sender_alg=$(jq -r .sender.algorithm <<<"$anchor")
sender_key=$(jq -r .sender.public_key <<<"$anchor")
show "anchors every decision on $(jq -r .node_url <<<"$anchor"), as sender $(short "$(jq -r .sender.id <<<"$anchor")") ($sender_alg)"

# Put the sidecar back as it was, whatever happens.
restore_mode() {
  local status=$?
  if [ -n "$previous_mode" ]; then
    call PUT "$SIDECAR/v1/admin/mode" "{\"mode\":\"$previous_mode\"}" "$SIDECAR_TOKEN" >/dev/null || true
    echo "   (sidecar mode restored to $previous_mode)"
  fi
  exit "$status"
}
trap restore_mode EXIT

# Decisions of this run, one array element each (bash 3.2 has no associative arrays).
labels=() tokens=() anchors=() nonces=() claims=()
# decide <label> <allowed> <rule> <check request>: asks the sidecar, checks the answer and the
# token, and keeps the decision for the trail.
decide() {
  local label=$1 want_allowed=$2 want_rule=$3 request=$4 answer token tx verified
  answer=$(expect 200 POST "$SIDECAR/v1/authorization/check" "$request" "$SIDECAR_TOKEN")
  [ "$(jq -r .allowed <<<"$answer")" = "$want_allowed" ] || fail "$label: expected allowed=$want_allowed: $answer"
  [ "$(jq -r .rule <<<"$answer")" = "$want_rule" ] || fail "$label: expected rule $want_rule: $answer"
  tx=$(jq -r '.sidecar.anchor_tx_id // empty' <<<"$answer")
  [[ "$tx" =~ ^[0-9a-f]{64}$ ]] ||
    fail "$label: not anchored: $(jq -c '.sidecar | {anchor_error, anchor_error_detail}' <<<"$answer")"
  token=$(jq -r .decision_token <<<"$answer")
  verified=$(expect 200 POST "$SIDECAR/v1/tokens/verify" "{\"token\":\"$token\"}" "")
  [ "$(jq -r .claims.effect <<<"$verified")" = "$(jq -r .effect <<<"$answer")" ] || fail "$label: token claims $verified"
  labels+=("$label") tokens+=("$token") anchors+=("$tx")
  nonces+=("$(jq -r .sidecar.anchor_nonce <<<"$answer")") claims+=("$(jq -c '.claims + {alg}' <<<"$verified")")
  printf '   %-5s %-46s %-28s %-10s anchor %s\n' "$(jq -r .effect <<<"$answer")" "$label" \
    "$(jq -r .rule <<<"$answer")" "$(jq -r .signature.alg <<<"$answer")" "$(short "$tx")"
  LAST_ALG=$(jq -r .signature.alg <<<"$answer")
}

# The agents. agent-7 is a payments agent with a 5 000 EUR limit; treasury-1 a treasury agent
# (a payments agent too) with 50 000 EUR. Policies: authz-sidecar/policies/payments-agent.cedar.
agent7='{"id":"agent-7","roles":["payments-agent"],"attributes":{"transfer_limit":5000,"currency":"EUR"}}'
treasury='{"id":"treasury-1","roles":["treasury-agent"],"attributes":{"transfer_limit":50000,"currency":"EUR"}}'
payment() { # payment <principal> <id> <amount> <country> [context]
  local context=${5:-}
  [ -n "$context" ] || context='{}'
  printf '{"principal":%s,"resource":{"kind":"Payment","id":"%s","attributes":{"amount":%s,"currency":"EUR","destination_country":"%s"}},"action":"payments:initiate","context":%s}' \
    "$1" "$2-$RUN" "$3" "$4" "$context"
}
ledger_read="{\"principal\":$agent7,\"resource\":{\"kind\":\"Ledger\",\"id\":\"acme-main\",\"attributes\":{}},\"action\":\"payments:read\",\"context\":{}}"

step "Before the upgrade: a decision signed in classical mode (kept to replay later)"
set_mode classical >/dev/null
decide "agent-7 reads ledger acme-main (classical)" true read-ledger "$ledger_read"
case "$LAST_ALG" in RS256 | PS256 | EdDSA) ;; *) fail "classical mode signed with $LAST_ALG" ;; esac
classical_token=${tokens[0]}
note "This $LAST_ALG token is what engines sign today, and what a large quantum computer could forge."

step "Upgrade: the sidecar switched to pqc mode (PUT /v1/admin/mode)"
mode=$(set_mode pqc)
show "$(mode_of "$mode")"
[ "$(jq -r .mode <<<"$mode")" = pqc ] || fail "mode switch: $mode"

step "Payment agents at work: every action is a signed, anchored decision"
printf '   %s%-5s %-46s %-28s %-10s %s%s\n' "$dim" effect action rule signature "anchor (DAG transaction)" "$off"
decide "agent-7 pays 120 EUR to DE" true initiate-within-limit "$(payment "$agent7" p-120 120 DE)"
decide "agent-7 reads ledger acme-main" true read-ledger "$ledger_read"
decide "agent-7 pays 300 EUR to KP (sanctioned)" false sanctioned-destination "$(payment "$agent7" p-kp 300 KP)"
decide "treasury-1 pays 20 000 EUR, no human approval" false large-transfer-needs-human "$(payment "$treasury" p-20k 20000 FR)"
decide "treasury-1 pays 20 000 EUR, human approved" true initiate-within-limit \
  "$(payment "$treasury" p-20k-ok 20000 FR '{"human_approved":true}')"
for i in 1 2 3 4 5; do
  case "$(jq -r .alg <<<"${claims[$i]}")" in ML-DSA-*) ;; *) fail "${labels[$i]}: signed $(jq -r .alg <<<"${claims[$i]}") in pqc mode" ;; esac
done
ok "5 decisions (3 allowed, 2 denied), each signed with ML-DSA, verified, and anchored"
note "Denials are signed and anchored too: the refusal is as provable as the payment."

step "Attacks refused by POST /v1/tokens/verify in pqc mode"
# The denied 20 000 EUR transfer, its payload edited to say allow, signature kept.
IFS=. read -r header payload signature <<<"${tokens[4]}"
forged_payload=$(b64url "$(b64url_decode "$payload" | jq -c '.effect = "allow"')")
message=$(refused 422 bad_signature POST "$SIDECAR/v1/tokens/verify" "{\"token\":\"$header.$forged_payload.$signature\"}" "")
ok "forged (deny edited to allow):   422 bad_signature ($message)"
message=$(refused 422 alg_not_accepted POST "$SIDECAR/v1/tokens/verify" "{\"token\":\"$classical_token\"}" "")
ok "classical-only token (RS256):    422 alg_not_accepted ($message)"
none_header=$(b64url '{"alg":"none","typ":"JWT"}')
message=$(refused 422 alg_none POST "$SIDECAR/v1/tokens/verify" "{\"token\":\"$none_header.$forged_payload.\"}" "")
ok "unsigned (alg none):             422 alg_none ($message)"

step "The decision trail, read back from the cluster"
case "$sender_alg" in ml-dsa-44) level=01 ;; ml-dsa-65) level=02 ;; ml-dsa-87) level=03 ;; *) fail "sender algorithm $sender_alg" ;; esac
if command -v sha256sum >/dev/null; then sha256() { sha256sum | cut -d' ' -f1; }
elif command -v shasum >/dev/null; then sha256() { shasum -a 256 | cut -d' ' -f1; }
else sha256() { :; }; fi
hex_bytes() { # hex_bytes <hex>: the bytes
  local h=$1 out=""
  while [ -n "$h" ]; do out="$out\\x${h:0:2}"; h=${h:2}; done
  printf "$out"
}
# The anchoring transaction's id, rebuilt from the decision token alone (docs/formats-consensus.md:
# SHA-256 of version, level, sender key, nonce, payload length, payload; the payload is the
# decision record of authz-sidecar/src/anchor/record.rs).
recompute_anchor() {
  local token=$1 nonce=$2 claim=$3 record
  record=$(jq -cn --argjson c "$claim" --arg h "$(printf '%s' "$token" | sha256)" \
    '{alg: $c.alg, iss: $c.iss, jti: $c.jti, token_sha256: $h, type: "cretoai.authz.decision", v: 1}')
  { hex_bytes "01$level"; printf '%s' "$sender_key" | base64 --decode
    hex_bytes "$(printf '%016x%08x' "$nonce" "${#record}")"; printf '%s' "$record"; } | sha256
}
printf '   %s%-46s %-16s %-26s %-8s %s%s\n' "$dim" decision "transaction" "status on node1 node2 node3" round "rebuilt from the token" "$off"
for i in 0 1 2 3 4 5; do
  id=${anchors[$i]}
  accepted_everywhere "$id"
  statuses=""
  for base in $NODES; do statuses="$statuses $(tx_status "$base" "$id")"; done
  tx=$(expect 200 GET "$BASE3/v1/consensus/transactions/$id")
  round=$(expect 200 GET "$BASE3/v1/consensus/vertices/$(jq -r .vertex <<<"$tx")" | jq -r .round)
  rebuilt=$(recompute_anchor "${tokens[$i]}" "${nonces[$i]}" "${claims[$i]}")
  if [ -z "$rebuilt" ]; then match="(no sha256sum or shasum)"
  elif [ "$rebuilt" = "$id" ]; then match="same id"
  else fail "${labels[$i]}: the id rebuilt from the token is $rebuilt, the sidecar anchored $id"; fi
  printf '   %-46s %-16s %-26s %-8s %s\n' "${labels[$i]}" "$(short "$id")" "${statuses# }" "$round" "$match"
done
ok "6 of 6 decisions accepted on all three nodes; each anchor names its exact token (SHA-256)"
note "Anyone holding a decision token can find its anchor on any node; a token changed by one byte no longer matches."

step "Back to the sidecar's previous mode ($previous_mode)"
show "$(mode_of "$(set_mode "$previous_mode")")"
previous_mode=""

done_in "FinTech"
