# shellcheck shell=bash
# Shared by the customer use-case scripts (fintech.sh, healthcare.sh, government.sh): where the
# cluster is, and small curl + jq helpers that stop the script on any unexpected answer.
# Portable to bash 3.2 (macOS): no associative arrays, no `base64 -w0`.
#
#   BASE1 BASE2 BASE3   the three nodes   (default https://127.0.0.1:8081, :8082, :8083)
#   SIDECAR             the AuthZ sidecar (default https://127.0.0.1:8090)
#   CACERT              the cluster's CA for curl --cacert (default ./cretoai-ca.pem, which
#                       scripts/demo.sh fetches; curl's own CURL_CA_BUNDLE works too)
#   TOKEN               the root token    (default $CRETOAI_ROOT_TOKEN, else docker-compose's
#                                           published demo token)
#   SIDECAR_TOKEN       the sidecar's admin token (default TOKEN: docker-compose gives the
#                                           sidecar the cluster's root token)
#   DECIDE_SECONDS      how long a transaction may take to be accepted everywhere (default 60)

BASE1="${BASE1:-https://127.0.0.1:8081}"
BASE2="${BASE2:-https://127.0.0.1:8082}"
BASE3="${BASE3:-https://127.0.0.1:8083}"
SIDECAR="${SIDECAR:-https://127.0.0.1:8090}"
CACERT="${CACERT:-${CURL_CA_BUNDLE:-cretoai-ca.pem}}"
# Every curl of the scripts verifies the cluster's certificates with it.
if [ -f "$CACERT" ]; then export CURL_CA_BUNDLE="$CACERT"; fi
TOKEN="${TOKEN:-${CRETOAI_ROOT_TOKEN:-cretoai-demo-root-token-CHANGE-ME}}"
SIDECAR_TOKEN="${SIDECAR_TOKEN:-$TOKEN}"
DECIDE_SECONDS="${DECIDE_SECONDS:-60}"
NODES="$BASE1 $BASE2 $BASE3"
# Unique per run, so that every script can run again on the same cluster.
RUN="$(date -u +%Y%m%d-%H%M%S)-$$"
STARTED=$(date +%s)

for tool in curl jq base64; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

bold=$'\e[1m' dim=$'\e[2m' red=$'\e[31m' green=$'\e[32m' off=$'\e[0m'
[ -t 1 ] || { bold="" dim="" green="" off=""; }
[ -t 2 ] || red=""
STEP=0
# step <title>: a numbered heading
step() { STEP=$((STEP + 1)); printf '\n%s%s. %s%s\n' "$bold" "$STEP" "$*" "$off"; }
# show <line>...: indented lines; note: a dim aside; ok: a checked fact
show() { printf '   %s\n' "$@"; }
note() { printf '   %s%s%s\n' "$dim" "$*" "$off"; }
ok() { printf '   %sok%s  %s\n' "$green" "$off" "$*"; }
fail() { printf '\n%sFAILED:%s %s\n' "$red" "$off" "$*" >&2; exit 1; }
# done_in <name>: the closing line
done_in() { printf '\n%s%s: all checks passed in %ss.%s\n' "$bold" "$1" "$(($(date +%s) - STARTED))" "$off"; }

# call <method> <url> [body] [token]: prints "<http status> <body>". The token defaults to TOKEN;
# pass "" for none.
call() {
  local method=$1 url=$2 body=${3-} tok=${4-$TOKEN} out
  local args=(-sS --max-time 20 -X "$method" -H "Content-Type: application/json" -w '\n%{http_code}')
  [ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
  [ -n "$body" ] && args+=(--data-binary "$body")
  out=$(curl "${args[@]}" "$url") || { echo "cannot reach $url: is the cluster up?" >&2; return 1; }
  printf '%s %s\n' "${out##*$'\n'}" "${out%$'\n'*}"
}

# expect <status> <method> <url> [body] [token]: prints the JSON body; any other status stops
# the script with what the service answered. Use as `x=$(expect ...)` (not `local x=$(...)`).
expect() {
  local want=$1 answer
  shift
  answer=$(call "$@") || exit 1
  [ "${answer%% *}" = "$want" ] || fail "$1 $2 answered ${answer%% *} (expected $want): ${answer#* }"
  printf '%s\n' "${answer#* }"
}

# refused <status> <error code> <method> <url> [body] [token]: the call must be refused with
# exactly this status and error code; prints the error message.
refused() {
  local want=$1 code=$2 body got
  shift 2
  body=$(expect "$want" "$@") || exit 1
  got=$(jq -r '.error.code // empty' <<<"$body")
  [ "$got" = "$code" ] || fail "$1 $2: error code '$got' (expected $code): $body"
  jq -r .error.message <<<"$body"
}

# b64 <text>: standard base64 on one line (GNU and macOS base64 alike)
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
# b64url_decode <text>: decodes base64url without padding (a JWS part)
b64url_decode() {
  local s
  s=$(printf '%s' "$1" | tr '_-' '/+')
  while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
  printf '%s' "$s" | base64 --decode
}
# b64url <text>: base64url without padding
b64url() { printf '%s' "$1" | base64 | tr -d '\n=' | tr '+/' '-_'; }

# tx_status <base> <tx id>: pending, accepted, rejected, or empty while the node does not know it
tx_status() {
  local answer
  answer=$(call GET "$1/v1/consensus/transactions/$2") || return 0
  case "$answer" in 200*) jq -r '.status // empty' <<<"${answer#* }" ;; esac
}
# accepted_everywhere <tx id>: waits until every node says accepted; stops the script on
# rejected or after DECIDE_SECONDS
accepted_everywhere() {
  local id=$1 base status deadline=$(($(date +%s) + DECIDE_SECONDS))
  for base in $NODES; do
    while :; do
      status=$(tx_status "$base" "$id")
      [ "$status" = accepted ] && break
      [ "$status" = rejected ] && fail "transaction $id rejected at $base"
      [ "$(date +%s)" -lt "$deadline" ] || fail "transaction $id not accepted at $base after ${DECIDE_SECONDS}s (status: ${status:-unknown})"
      sleep 0.25
    done
  done
}

# A short form of a long hex id for display
short() { printf "%s..." "${1:0:12}"; }

# Every script starts by checking that the cluster answers with this token.
preflight() {
  local base n=0 answer
  for base in $NODES; do
    n=$((n + 1))
    answer=$(call GET "$base/v1/consensus/status") || exit 1
    case "$answer" in
      200*) ;;
      401*) fail "node$n ($base) refused the token: set TOKEN (or CRETOAI_ROOT_TOKEN) to the cluster's root token" ;;
      *) fail "node$n ($base) GET /v1/consensus/status answered: $answer" ;;
    esac
    [ "$(jq -r .active <<<"${answer#* }")" = true ] || fail "node$n ($base): consensus is not active yet"
  done
}
