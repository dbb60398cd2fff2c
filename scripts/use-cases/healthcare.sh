#!/usr/bin/env bash
# Healthcare use case: a clinical-records agent holds a vault token scoped to its ward's path;
# it writes a patient summary in two versions, soft-deletes, undeletes and destroys versions,
# and is refused outside its path (403). Then the auditor's view: the hash-chained audit log is
# verified and the records of these steps are printed. The token is revoked at the end.
# Page: docs/customer/use-cases/healthcare.md
#
#   docker-compose up -d && scripts/use-cases/healthcare.sh
#   BASE1=... BASE2=... BASE3=... SIDECAR=... TOKEN=... scripts/use-cases/healthcare.sh
#
# Runs against node1 (BASE1): tokens, vault and audit log are each node's own. Needs bash, curl
# and jq. Every run uses its own paths (clinical/<run>/...), so it is safe to run again.
set -euo pipefail
# shellcheck source=scripts/use-cases/lib.sh
. "$(dirname "$0")/lib.sh"

printf '%sHealthcare: a clinical-records agent, a path-scoped vault, and what the auditor sees%s\n' "$bold" "$off"
preflight
NODE=$BASE1
ward="clinical/$RUN/ward-a"
other="clinical/$RUN/ward-b"
record="$ward/patient-1042/discharge-summary"
# What the audit log must show for the agent's token, in order ("operation outcome target").
expected_audit=()
audited() { expected_audit+=("$1 $2 ${3:-$record}"); }

step "Before: the audit chain of node1 is intact"
before=$(expect 200 GET "$NODE/v1/audit/verify")
[ "$(jq -r .valid <<<"$before")" = true ] || fail "audit chain broken before the run: $before"
start_seq=$(jq -r .records <<<"$before")
show "GET /v1/audit/verify: valid, $start_seq records, head $(short "$(jq -r .head_hash <<<"$before")")"

step "An administrator gives the agent a token for its ward only (POST /v1/auth/tokens)"
issued=$(expect 201 POST "$NODE/v1/auth/tokens" \
  "{\"scopes\":[\"vault:read:$ward/*\",\"vault:write:$ward/*\"],\"ttl_seconds\":900}")
agent_id=$(jq -r .id <<<"$issued")
AGENT=$(jq -r .token <<<"$issued")
show "token id $agent_id, scopes: $(jq -r '.scopes | join(", ")' <<<"$issued")"
show "expires $(jq -r '.expires_at | todate' <<<"$issued") (15 minutes); the token itself is shown once, to its holder"
# A record of another ward, written by the administrator (the agent must not reach it).
expect 200 PUT "$NODE/v1/vault/secrets/$other/patient-2001/discharge-summary" \
  '{"data":{"patient":"2001","summary":"other ward"}}' >/dev/null
revoke_agent() { call DELETE "$NODE/v1/auth/tokens/$agent_id" >/dev/null || true; }
trap revoke_agent EXIT

step "The agent writes a discharge summary, then a corrected version"
v1='{"data":{"patient":"1042","summary":"Discharged day 3. Metformin 500 mg twice daily.","author":"clinical-agent"}}'
v2='{"data":{"patient":"1042","summary":"Discharged day 3. Metformin 1000 mg twice daily (dose corrected).","author":"clinical-agent"}}'
w=$(expect 200 PUT "$NODE/v1/vault/secrets/$record" "$v1" "$AGENT"); audited vault.write ok
show "PUT $record -> version $(jq -r .version <<<"$w")"
w=$(expect 200 PUT "$NODE/v1/vault/secrets/$record" "$v2" "$AGENT"); audited vault.write ok
[ "$(jq -r .version <<<"$w")" = 2 ] || fail "second write: $w"
show "PUT again (same path) -> version 2"
r=$(expect 200 GET "$NODE/v1/vault/secrets/$record" "" "$AGENT"); audited vault.read ok
show "GET newest:    version $(jq -r .version <<<"$r"): $(jq -r .data.summary <<<"$r")"
r=$(expect 200 GET "$NODE/v1/vault/secrets/$record?version=1" "" "$AGENT"); audited vault.read ok
show "GET version=1: version $(jq -r .version <<<"$r"): $(jq -r .data.summary <<<"$r")"
note "Each version is encrypted at rest under its own data key, wrapped with ML-KEM-768."

step "Soft delete and undelete (the corrected version is withdrawn, then restored)"
expect 204 DELETE "$NODE/v1/vault/secrets/$record" "" "$AGENT" >/dev/null; audited vault.delete ok
ok "DELETE: version 2 soft-deleted"
message=$(refused 404 secret_version_deleted GET "$NODE/v1/vault/secrets/$record" "" "$AGENT")
audited vault.read secret_version_deleted
ok "GET now: 404 secret_version_deleted ($message)"
expect 204 POST "$NODE/v1/vault/secrets/$record/undelete" '{"versions":[2]}' "$AGENT" >/dev/null
audited vault.undelete ok
r=$(expect 200 GET "$NODE/v1/vault/secrets/$record" "" "$AGENT"); audited vault.read ok
[ "$(jq -r .version <<<"$r")" = 2 ] || fail "after undelete: $r"
ok "undelete version 2: GET reads version 2 again"

step "Destroy (version 1, with the wrong dose, can never be read again)"
expect 204 POST "$NODE/v1/vault/secrets/$record/destroy" '{"versions":[1]}' "$AGENT" >/dev/null
audited vault.destroy ok
message=$(refused 410 secret_version_destroyed GET "$NODE/v1/vault/secrets/$record?version=1" "" "$AGENT")
audited vault.read secret_version_destroyed
ok "GET version=1: 410 secret_version_destroyed ($message)"
meta=$(expect 200 GET "$NODE/v1/vault/metadata/$record" "" "$AGENT"); audited vault.metadata.read ok
show "metadata: $(jq -r '[.versions[] | "version \(.version) \(.state)"] | join(", ")' <<<"$meta")"
[ "$(jq -r '[.versions[].state] | join(",")' <<<"$meta")" = destroyed,active ] || fail "metadata: $meta"

step "Outside its ward the agent is refused (403)"
message=$(refused 403 forbidden GET "$NODE/v1/vault/secrets/$other/patient-2001/discharge-summary" "" "$AGENT")
audited vault.read forbidden "$other/patient-2001/discharge-summary"
ok "read another ward's patient:  403 forbidden ($message)"
message=$(refused 403 forbidden PUT "$NODE/v1/vault/secrets/$other/patient-2001/discharge-summary" '{"data":{"x":1}}' "$AGENT")
audited vault.write forbidden "$other/patient-2001/discharge-summary"
ok "write there:                  403 forbidden"
listing=$(expect 200 GET "$NODE/v1/vault/secrets?prefix=clinical/$RUN/" "" "$AGENT")
audited vault.list ok "clinical/$RUN/"
[ "$(jq -r '.paths | join(",")' <<<"$listing")" = "$record" ] || fail "listing: $listing"
ok "list clinical/$RUN/:  only its own record ($(jq -r '.paths | length' <<<"$listing") path; ward-b is left out)"
refused 403 forbidden GET "$NODE/v1/audit" "" "$AGENT" >/dev/null
ok "read the audit log:           403 forbidden (only an administrator reads it)"
refused 403 forbidden GET "$NODE/v1/keys" "" "$AGENT" >/dev/null
ok "list the node's keys:         403 forbidden"

step "The agent's token is revoked (DELETE /v1/auth/tokens/{id})"
expect 204 DELETE "$NODE/v1/auth/tokens/$agent_id" >/dev/null
trap - EXIT
refused 401 unauthorized GET "$NODE/v1/vault/secrets/$record" "" "$AGENT" >/dev/null
ok "the same read now: 401 unauthorized"

step "The auditor: the chain is verified (GET /v1/audit/verify)"
after=$(expect 200 GET "$NODE/v1/audit/verify")
show "$(jq -c . <<<"$after")"
[ "$(jq -r .valid <<<"$after")" = true ] || fail "audit chain broken: $after"
ok "valid: every record's hash recomputed, each linked to the one before ($start_seq -> $(jq -r .records <<<"$after") records)"
note "Keep head_hash elsewhere too: cutting records off the end is only visible against a kept head."

step "The auditor: the records of this case (GET /v1/audit?after=$start_seq; targets under clinical/$RUN/)"
page_after=$start_seq records="[]"
while :; do
  page=$(expect 200 GET "$NODE/v1/audit?after=$page_after&limit=1000")
  records=$(jq -c --argjson page "$page" '. + $page.records' <<<"$records")
  next=$(jq -r '.next_after // empty' <<<"$page")
  [ -n "$next" ] || break
  page_after=$next
done
ours=$(jq -c --arg run "clinical/$RUN/" --arg agent "$agent_id" \
  '[.[] | select((.target | startswith($run)) or .token_id == $agent)]' <<<"$records")
printf '   %s%-5s %-20s %-16s %-20s %-24s %s%s\n' "$dim" seq "time (UTC)" token operation outcome "hash (prev_hash -> hash)" "$off"
jq -r --arg run "clinical/$RUN/" '.[] | [.seq, (.time | todate), .token_id, .operation, .outcome,
    "\(.prev_hash[0:8]) -> \(.hash[0:8])", (.target | ltrimstr($run) | if . == "" then "." else . end)] | @tsv' <<<"$ours" |
  while IFS=$'\t' read -r seq time who op outcome hashes target; do
    printf '   %-5s %-20s %-16s %-20s %-24s %s  %s\n' "$seq" "$time" "$who" "$op" "$outcome" "$hashes" "$target"
  done
got=$(jq -r --arg agent "$agent_id" '.[] | select(.token_id == $agent) | "\(.operation) \(.outcome) \(.target)"' <<<"$ours")
want=$(printf '%s\n' "${expected_audit[@]}")
[ "$got" = "$want" ] || fail "the agent's audit records differ from its calls:
--- expected
$want
--- audit log
$got"
ok "all ${#expected_audit[@]} calls of the agent are there, refusals included, in order"
for value in "Metformin" "other ward" "$AGENT"; do
  case "$records" in *"$value"*) fail "the audit log holds a value or token: $value" ;; esac
done
ok "no record value and no token in the audit log: who, what, where, outcome and time only"

done_in "Healthcare"
