#!/usr/bin/env bash
# Runs the commands of docs/customer/demo-guide.md against a running cluster, so the guide
# cannot drift from the product.
#
# Every shell block of the guide (```sh, ```bash, ```shell) is preceded by one marker:
#   <!-- demo-guide:run -->            run here, in order, in one bash session (as a person
#                                      pastes them into one terminal), under `set -euo pipefail`
#   <!-- demo-guide:skip: <reason> --> not run here; the reason says what covers it instead
# A shell block without a marker, or a marker without a block, fails the check. Other blocks
# (```text: expected output) are not run.
#
# Usage:
#   scripts/demo-guide-check.sh --check   only check the markers (no cluster needed)
#   scripts/demo-guide-check.sh --list    print the blocks with their line and marker
#   scripts/demo-guide-check.sh           check the markers, then run every `run` block against
#                                         the cluster on 127.0.0.1:8081-8083 and :8090
#   CRETOAI_ROOT_TOKEN   the cluster's root token (the guide's commands read it; default: the
#                        compose demo token)
#   DEMO_GUIDE_COMPOSE   the compose command the guide's `docker-compose ...` and
#                        `docker compose ...` stand for (e.g. "docker-compose -f
#                        docker-compose.yml -f docker-compose.prebuilt.yml", as
#                        scripts/container-test.sh passes); default: as written in the guide
#   DEMO_GUIDE_TIMEOUT   seconds allowed for all the blocks together (default 300)
#   DEMO_GUIDE=FILE      another page with the same markers
# Portable bash (3.2) and awk; needs curl, jq and docker, like the guide itself.
set -euo pipefail
cd "$(dirname "$0")/.."

guide="${DEMO_GUIDE:-docs/customer/demo-guide.md}"
mode="${1:-run}"
case "$mode" in --check | --list | run) ;; *) echo "usage: $0 [--check|--list]" >&2; exit 2 ;; esac
[ -f "$guide" ] || { echo "no $guide" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One pass over the page: writes $work/blocks (one line per shell block: number, line of its
# fence, kind, reason) and $work/block-<n>.sh (its text), and prints the marker errors.
awk -v dir="$work" '
  function err(msg) { printf "%s:%d: %s\n", FILENAME, NR, msg; bad = 1 }
  BEGIN { pending = ""; inblock = 0; n = 0 }
  inblock {
    if ($0 ~ /^[ \t]*```[ \t]*$/) { inblock = 0; if (shell) close(file); next }
    if (shell) print > file
    next
  }
  /^[ \t]*<!-- demo-guide:/ {
    if (pending != "") err("marker without a shell block after it (line " pendingline ")")
    if ($0 ~ /<!-- demo-guide:run -->/) { pending = "run"; reason = "" }
    else if ($0 ~ /<!-- demo-guide:skip: *[^ >][^>]*-->/) {
      pending = "skip"; reason = $0
      sub(/.*<!-- demo-guide:skip: */, "", reason); sub(/ *-->.*$/, "", reason)
    } else { err("unknown marker (run, or skip: <reason>): " $0); pending = "" }
    pendingline = NR
    next
  }
  /^[ \t]*```/ {
    lang = $0; sub(/^[ \t]*```[ \t]*/, "", lang); sub(/[ \t].*$/, "", lang)
    inblock = 1
    shell = (lang == "sh" || lang == "bash" || lang == "shell" || lang == "console" || lang == "zsh")
    if (shell) {
      n++
      file = dir "/block-" n ".sh"
      printf "" > file
      if (pending == "") { err("shell block without a demo-guide:run or demo-guide:skip marker"); kind = "none" }
      else kind = pending
      printf "%d\t%d\t%s\t%s\n", n, NR, kind, (kind == "skip" ? reason : "") > (dir "/blocks")
    } else if (pending != "") err("marker before a ```" lang " block (only shell blocks are marked)")
    pending = ""
    next
  }
  /[^ \t]/ { if (pending != "") { err("marker not directly followed by a shell block (line " pendingline ")"); pending = "" } }
  END {
    if (pending != "") err("marker at the end, without a block")
    if (inblock) err("unclosed code block")
    exit bad
  }' "$guide" || { echo "$guide: fix the markers above" >&2; exit 1; }
touch "$work/blocks"

runs=$(awk -F'\t' '$3 == "run"' "$work/blocks" | wc -l | tr -d ' ')
skips=$(awk -F'\t' '$3 == "skip"' "$work/blocks" | wc -l | tr -d ' ')
[ "$runs" -gt 0 ] || { echo "$guide: no demo-guide:run block" >&2; exit 1; }

if [ "$mode" = --list ]; then
  while IFS="$(printf '\t')" read -r n line kind reason; do
    printf '\n--- block %s, line %s: %s%s\n' "$n" "$line" "$kind" "${reason:+ ($reason)}"
    cat "$work/block-$n.sh"
  done <"$work/blocks"
  exit 0
fi
echo "$guide: $((runs + skips)) shell blocks, every one marked: $runs to run, $skips skipped"
[ "$mode" = --check ] && exit 0

# One script: a prelude, then each `run` block as written, preceded by a line that names it.
script="$work/guide.sh"
{
  cat <<'EOF'
set -euo pipefail
__started=$(date +%s)
__line=prelude
__block() {
  __line=$1
  printf '\n--> %s:%s  (+%ss)\n' "$__guide" "$1" "$(($(date +%s) - __started))"
}
trap '__status=$?; [ "$__status" = 0 ] || printf "\nFAILED: the block at %s:%s (exit %s)\n" "$__guide" "$__line" "$__status" >&2' EXIT
EOF
  printf '__guide=%q\n' "$guide"
  # The guide says `docker-compose` (and `docker compose` for v2); here they stand for the
  # command the cluster was started with (`command` skips these functions, so no recursion).
  if [ -n "${DEMO_GUIDE_COMPOSE:-}" ]; then
    printf '__compose_cmd=%q\n' "$DEMO_GUIDE_COMPOSE"
    cat <<'EOF'
__compose() { local c; read -r -a c <<<"$__compose_cmd"; command "${c[@]}" "$@"; }
docker-compose() { __compose "$@"; }
docker() { if [ "${1:-}" = compose ]; then shift; __compose "$@"; else command docker "$@"; fi; }
EOF
  fi
  while IFS="$(printf '\t')" read -r n line kind _; do
    if [ "$kind" = run ]; then
      printf '__block %s\n' "$line"
      cat "$work/block-$n.sh"
    else
      printf 'printf "\\n--> %%s:%%s  skipped\\n" "$__guide" %s\n' "$line"
    fi
  done <"$work/blocks"
  printf '\nprintf "\\n%s: %s blocks ran in %%ss\\n" "$(($(date +%%s) - __started))"\n' "$guide" "$runs"
} >"$script"

limit="${DEMO_GUIDE_TIMEOUT:-300}"
if command -v timeout >/dev/null; then
  timeout "$limit" bash "$script" </dev/null || {
    status=$?
    [ "$status" = 124 ] && echo "FAILED: $guide took over ${limit}s" >&2
    exit "$status"
  }
else
  bash "$script" </dev/null
fi
