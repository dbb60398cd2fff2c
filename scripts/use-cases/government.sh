#!/usr/bin/env bash
# Government use case, against CNSA 2.0: ML-DSA-87 signatures now (sign, verify, verify elsewhere
# with the public key only); ML-KEM-1024 shown as not offered yet (the node refuses it); every
# peer link between the nodes post-quantum (X25519MLKEM768), and every client connection to the
# REST API too (HTTPS, GET /v1/sys/connection); a key rotated, its old version retired, then the key deleted, with the audit records.
# Page: docs/customer/use-cases/government.md
#
#   docker-compose up -d && scripts/use-cases/government.sh
#   BASE1=... BASE2=... BASE3=... SIDECAR=... TOKEN=... scripts/use-cases/government.sh
#
# Needs bash, curl and jq. Key names carry the run's id, so it is safe to run again.
set -euo pipefail
# shellcheck source=scripts/use-cases/lib.sh
. "$(dirname "$0")/lib.sh"

printf '%sGovernment: CNSA 2.0 levels, post-quantum links, keys rotated and retired%s\n' "$bold" "$off"
preflight
NODE=$BASE1
key="gov-directives-$RUN"
# The audit log's length now: step 7 reads the records written after it.
audit_start=$(expect 200 GET "$NODE/v1/audit/verify" | jq -r .records)
bytes() { printf '%s' "$1" | base64 --decode | wc -c | tr -d ' '; }
sign() { # sign <text>: the signature answer
  expect 200 POST "$NODE/v1/sign" "{\"key\":\"$key\",\"message\":\"$(b64 "$1")\",\"context\":\"gov/directive/v1\"}"
}
verify() { # verify <base> <text> <signature> [key_version]: the verify answer
  expect 200 POST "$1/v1/verify" "{\"key\":\"$key\",${4:+\"key_version\":$4,}\"message\":\"$(b64 "$2")\",\"signature\":\"$3\",\"context\":\"gov/directive/v1\"}"
}

step "CNSA 2.0 signatures now: an ML-DSA-87 key (FIPS 204, NIST category 5)"
created=$(expect 201 POST "$NODE/v1/keys" "{\"name\":\"$key\",\"type\":\"ml-dsa-87\",\"deletion_allowed\":true}")
public_key=$(jq -r '.versions[0].public_key' <<<"$created")
show "POST /v1/keys: $key, $(jq -r .type <<<"$created"), version 1, public key $(bytes "$public_key") bytes"
directive_a="Directive 2026-117: rotate field credentials by 31 December."
signed_a=$(sign "$directive_a")
sig_a=$(jq -r .signature <<<"$signed_a")
[ "$(jq -r .algorithm <<<"$signed_a")" = ml-dsa-87 ] || fail "signed with $(jq -r .algorithm <<<"$signed_a")"
show "signed \"$directive_a\""
show "  -> $(jq -r .algorithm <<<"$signed_a"), key version $(jq -r .key_version <<<"$signed_a"), signature $(bytes "$sig_a") bytes"
[ "$(verify "$NODE" "$directive_a" "$sig_a" | jq -r .valid)" = true ] || fail "the signature does not verify"
ok "verifies on node1"
[ "$(verify "$NODE" "${directive_a/31/30}" "$sig_a" | jq -r .valid)" = false ] || fail "a changed directive verifies"
ok "the same signature on the directive with one digit changed: valid false"
elsewhere=$(expect 200 POST "$BASE2/v1/verify" "{\"public_key\":\"$public_key\",\"algorithm\":\"ml-dsa-87\",\"message\":\"$(b64 "$directive_a")\",\"signature\":\"$sig_a\",\"context\":\"gov/directive/v1\"}")
[ "$(jq -r .valid <<<"$elsewhere")" = true ] || fail "verify with the public key on node2: $elsewhere"
ok "verifies on node2 with the public key alone (no access to the private key needed)"

step "CNSA 2.0 key establishment: ML-KEM-1024 is not offered yet"
answer=$(call POST "$NODE/v1/keys" "{\"name\":\"gov-kem-$RUN\",\"type\":\"ml-kem-1024\"}")
case "$answer" in
  400*) [ "$(jq -r .error.code <<<"${answer#* }")" = unknown_algorithm ] || fail "ml-kem-1024: $answer"
        show "POST /v1/keys {\"type\":\"ml-kem-1024\"} -> 400 $(jq -c .error <<<"${answer#* }")" ;;
  201*) fail "the node now creates ml-kem-1024 keys: update this use case and its page" ;;
  *) fail "ml-kem-1024: $answer" ;;
esac
show "${bold}Missing today:${off} ML-KEM-1024. Encryption keys, the vault's key and the peer links use"
show "ML-KEM-768 (NIST category 3), not the category 5 that CNSA 2.0 asks for."

step "Every hop is post-quantum: between the nodes (GET /v1/consensus/status) and to the REST API (GET /v1/sys/connection)"
n=0 links=0
for base in $NODES; do
  n=$((n + 1))
  status=$(expect 200 GET "$base/v1/consensus/status")
  lines=$(jq -r '.peers[] | "\(.address) \(.connected) \(.key_exchange_group) \(if .rtt_ms then (.rtt_ms * 10 | round / 10) else "?" end)"' <<<"$status")
  [ -n "$lines" ] || fail "node$n has no peers"
  while read -r address connected group rtt; do
    [ "$connected" = true ] || fail "node$n -> $address is not connected"
    [ "$group" = X25519MLKEM768 ] || fail "node$n -> $address negotiated $group"
    show "node$n -> $address  QUIC, TLS 1.3 key exchange $group  (rtt $rtt ms)"
    links=$((links + 1))
  done <<<"$lines"
done
[ "$links" -ge 6 ] || fail "expected 6 peer links among three nodes, found $links"
ok "$links of $links peer links negotiated X25519MLKEM768 (X25519 + ML-KEM-768 hybrid)"
note "Peers prove who they are with ML-DSA-65 certificates, pinned by node id (SHA-256 of the identity key)."
note "ML-DSA-65 and ML-KEM-768 are NIST category 3; CNSA 2.0 asks for category 5 (ML-DSA-87, ML-KEM-1024) here too."
n=0
for base in $NODES; do
  n=$((n + 1))
  conn=$(expect 200 GET "$base/v1/sys/connection")
  [ "$(jq -r .tls_version <<<"$conn")" = TLSv1.3 ] || fail "this client -> node$n: $conn"
  group=$(jq -r .key_exchange_group <<<"$conn")
  show "this client -> node$n  HTTPS, $(jq -r .tls_version <<<"$conn") key exchange $group ($(jq -r .cipher_suite <<<"$conn"))"
  metrics=$(curl -fsS --max-time 20 "$base/metrics") || fail "GET $base/metrics"
  pq=$(sed -n 's/^cretoai_tls_handshakes_total{group="X25519MLKEM768"} //p' <<<"$metrics")
  [ "${pq:-0}" -gt 0 ] || fail "node$n has completed no X25519MLKEM768 handshake"
  show "node$n: ${pq} X25519MLKEM768 handshakes so far (cretoai_tls_handshakes_total)"
done
if [ "$(jq -r .post_quantum <<<"$conn")" = true ]; then
  ok "this client's connections to the REST API negotiated X25519MLKEM768 (GET /v1/sys/connection)"
else
  note "This curl offers no X25519MLKEM768 (it needs OpenSSL 3.5 or later): the nodes served it $group, as they"
  note "do any client without the hybrid group. Browsers (Chrome, Firefox) and the sidecar get X25519MLKEM768."
fi
note "The sidecar serves HTTPS too, and anchors its decisions over HTTPS to node1, verified against the cluster's CA."

step "Keys rotated: version 2 signs from now on (POST /v1/keys/{name}/rotate)"
rotated=$(expect 200 POST "$NODE/v1/keys/$key/rotate")
show "latest version $(jq -r .latest_version <<<"$rotated"); live versions: $(jq -r '[.versions[].version] | join(", ")' <<<"$rotated")"
directive_b="Directive 2026-118: field credentials rotated."
signed_b=$(sign "$directive_b")
sig_b=$(jq -r .signature <<<"$signed_b")
[ "$(jq -r .key_version <<<"$signed_b")" = 2 ] || fail "signed with version $(jq -r .key_version <<<"$signed_b") after rotation"
ok "a new directive is signed with version 2"
[ "$(verify "$NODE" "$directive_a" "$sig_a" 1 | jq -r .valid)" = true ] || fail "version 1 signature before retirement"
ok "the directive signed with version 1 still verifies (key_version 1) until version 1 is retired"

step "Old version retired (POST /v1/keys/{name}/config {\"min_decryption_version\": 2})"
retired=$(expect 200 POST "$NODE/v1/keys/$key/config" '{"min_decryption_version":2}')
[ "$(jq -r '[.versions[].version] | join(",")' <<<"$retired")" = 2 ] || fail "live versions after retirement: $retired"
show "min_decryption_version $(jq -r .min_decryption_version <<<"$retired"); live versions: $(jq -r '[.versions[].version] | join(", ")' <<<"$retired")"
message=$(refused 422 version_too_old POST "$NODE/v1/verify" \
  "{\"key\":\"$key\",\"key_version\":1,\"message\":\"$(b64 "$directive_a")\",\"signature\":\"$sig_a\",\"context\":\"gov/directive/v1\"}")
ok "version 1 refused: 422 version_too_old ($message)"
[ "$(verify "$NODE" "$directive_b" "$sig_b" | jq -r .valid)" = true ] || fail "version 2 signature after retirement"
ok "version 2 signatures verify"
show "${bold}Plainly:${off} retiring keeps version 1 sealed in the node's store: lowering the minimum again"
show "brings it back. Erasing one old version is not offered; the whole key can be deleted (next step)."

step "End of life: the key is deleted (DELETE /v1/keys/{name}; allowed only because it was created deletable)"
expect 204 DELETE "$NODE/v1/keys/$key" >/dev/null
message=$(refused 404 key_not_found GET "$NODE/v1/keys/$key")
ok "GET now: 404 key_not_found ($message)"

step "The key's life in node1's audit log (GET /v1/audit?after=$audit_start)"
after=$audit_start records="[]"
verified=$(expect 200 GET "$NODE/v1/audit/verify")
[ "$(jq -r .valid <<<"$verified")" = true ] || fail "audit chain: $verified"
while :; do
  page=$(expect 200 GET "$NODE/v1/audit?after=$after&limit=1000")
  records=$(jq -c --argjson page "$page" --arg key "$key" --arg kem "gov-kem-$RUN" \
    '. + [$page.records[] | select(.target == $key or .target == $kem)]' <<<"$records")
  next=$(jq -r '.next_after // empty' <<<"$page")
  [ -n "$next" ] || break
  after=$next
done
printf '   %s%-5s %-20s %-6s %-11s %-18s %s%s\n' "$dim" seq "time (UTC)" token operation outcome target "$off"
jq -r '.[] | [.seq, (.time | todate), .token_id, .operation, .outcome, .target] | @tsv' <<<"$records" |
  while IFS=$'\t' read -r seq time who op outcome target; do
    printf '   %-5s %-20s %-6s %-11s %-18s %s\n' "$seq" "$time" "$who" "$op" "$outcome" "$target"
  done
got=$(jq -r '[.[] | "\(.operation):\(.outcome)"] | join(" ")' <<<"$records")
[ "$got" = "key.create:ok key.create:unknown_algorithm key.rotate:ok key.config:ok key.delete:ok" ] ||
  fail "audit records of $key: $got"
ok "create, the refused ML-KEM-1024 key, rotate, retire (config) and delete recorded; chain valid ($(jq -r .records <<<"$verified") records)"

done_in "Government"
