#!/usr/bin/env bash
# Checks the from-source Dockerfile (the users' path) on a machine that cannot pull its base
# images (rust:1-bookworm, debian:bookworm-slim).
#
# 1. Static: the build arguments and stages docs/docker.md names exist (RUST_IMAGE and
#    RUNTIME_IMAGE with their defaults; builder, runtime-root, runtime, runtime last); the runtime
#    stage ends exactly like Dockerfile.prebuilt (USER, WORKDIR, ENV, EXPOSE, CMD), so both images
#    behave alike; Cargo.lock is current (`cargo tree --locked`), so the builder's
#    `cargo build --locked` does not stop on it.
# 2. Build: `docker build` of the whole Dockerfile with both base images overridden by local
#    stand-ins: RUNTIME_IMAGE = the untouched debootstrap from build-base-image.sh (for
#    debian:bookworm-slim), RUST_IMAGE = that Debian plus a stand-in `cargo` that checks what it
#    is asked (a --locked build of the two packages, in a /src holding every workspace member and
#    no target/) and puts prebuilt binaries where that profile's build would. So the build
#    arguments, .dockerignore, the paths between the stages, prepare-runtime-rootfs.sh inside a
#    build and the flattened runtime stage are all exercised; then the image is run: it must be
#    user cretoai and both binaries must start.
# Not verified here: that the real rust image compiles the workspace (no registry; the host's
# tests compile the same sources from the same Cargo.lock).
#
# Usage: scripts/dockerfile-check.sh
#   CRETOAI_BINARIES_DIR=DIR   binaries for the stand-in builder (default: $CARGO_TARGET_DIR/
#                              docker-context, left by container-test.sh)
#   CRETOAI_DEBIAN_IMAGE       stand-in runtime base (default cretoai-debian:bookworm)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }
ok() { printf '    ok: %s\n' "$*"; }

# --- 1. static -------------------------------------------------------------------------------
python3 - <<'PY' || fail "Dockerfile structure (above)"
import re, sys

def instructions(path):
    """(keyword, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", open(path).read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out

def tail_from_user(instrs):
    keys = [k for k, _ in instrs]
    return instrs[keys.index("USER"):] if "USER" in keys else []

errors = []
full = instructions("Dockerfile")
args = dict(a.split("=", 1) for k, a in full if k == "ARG" and "=" in a)
for name, default in {"RUST_IMAGE": "rust:1-bookworm", "RUNTIME_IMAGE": "debian:bookworm-slim"}.items():
    if args.get(name) != default:
        errors.append(f"ARG {name} default is {args.get(name)!r}, docs say {default!r}")
stages = [a.split() for k, a in full if k == "FROM"]
names = [s[2] if len(s) == 3 and s[1].upper() == "AS" else None for s in stages]
for stage, base in (("builder", "${RUST_IMAGE}"), ("runtime-root", "${RUNTIME_IMAGE}"), ("runtime", "scratch")):
    if stage not in names:
        errors.append(f"no stage {stage}")
    elif stages[names.index(stage)][0] != base:
        errors.append(f"stage {stage} is FROM {stages[names.index(stage)][0]}, expected {base}")
if names and names[-1] != "runtime":
    errors.append(f"the last stage (what `docker build` tags) is {names[-1]}, not runtime")
for k, a in full:
    m = re.match(r"--from=(\S+)", a) if k == "COPY" else None
    if m and m.group(1) not in names:
        errors.append(f"COPY --from={m.group(1)}: no such stage")
last = full[max(i for i, (k, _) in enumerate(full) if k == "FROM"):]
if tail_from_user(last) != tail_from_user(instructions("Dockerfile.prebuilt")):
    errors.append("the runtime stage and Dockerfile.prebuilt differ from USER on")
if ("USER", "cretoai") not in last:
    errors.append("the runtime stage does not run as cretoai")
for e in errors:
    print("   ", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
ok "Dockerfile: build args, stages builder/runtime-root/runtime, runtime stage = Dockerfile.prebuilt's"
cargo tree --locked --workspace --quiet >/dev/null || fail "Cargo.lock is not current"
ok "Cargo.lock is current (cargo build --locked accepts it)"

# --- 2. build with stand-in base images --------------------------------------------------------
debian_image="${CRETOAI_DEBIAN_IMAGE:-cretoai-debian:bookworm}"
binaries="${CRETOAI_BINARIES_DIR:-${CARGO_TARGET_DIR:-target}/docker-context}"
docker info >/dev/null 2>&1 || { echo "    SKIP: no docker daemon, Dockerfile not built"; exit 0; }
scripts/build-base-image.sh >/dev/null
for bin in cretoai-node cretoai-authz-sidecar; do
  [ -x "$binaries/$bin" ] || fail "$binaries/$bin missing (set CRETOAI_BINARIES_DIR)"
done

builder_image=cretoai-dockerfile-check-builder:local
image=cretoai-dockerfile-check:local
context="$(mktemp -d /tmp/cretoai-dockerfile-check.XXXXXX)"
dangling() { docker images -q --no-trunc --filter dangling=true | sort; }
dangling_before="$(dangling)"
# The classic builder keeps every stage as an untagged image: remove the ones this run made.
cleanup() {
  rm -rf "$context"
  docker image rm -f "$image" "$builder_image" >/dev/null 2>&1 || true
  comm -13 <(printf '%s\n' "$dangling_before") <(dangling) | xargs -r docker image rm >/dev/null 2>&1 || true
}
trap cleanup EXIT

cp "$binaries/cretoai-node" "$binaries/cretoai-authz-sidecar" "$context/"
strip "$context/cretoai-node" "$context/cretoai-authz-sidecar"
cat >"$context/cargo" <<'SH'
#!/bin/bash
# Stand-in cargo (scripts/dockerfile-check.sh): checks the build it is asked for, then puts the
# prebuilt binaries where that build would.
set -euo pipefail
die() { echo "stand-in cargo: $*" >&2; exit 1; }
[ "${1:-}" = build ] || die "only 'cargo build' is expected, got: $*"
shift
dir=debug locked=no packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --release) dir=release ;;
    --profile) dir=$2; [ "$dir" = dev ] && dir=debug; shift ;;
    --locked) locked=yes ;;
    -p | --package) packages+=("$2"); shift ;;
    *) die "unexpected argument $1" ;;
  esac
  shift
done
[ "$locked" = yes ] || die "the build is not --locked"
[ -f Cargo.toml ] && [ -f Cargo.lock ] || die "no Cargo.toml/Cargo.lock in $PWD"
[ ! -e target ] || die "target/ is in the build context (.dockerignore)"
members=$(tr '\n' ' ' <Cargo.toml | sed -n 's/.*members *= *\[\([^]]*\)\].*/\1/p' | tr -d '",')
[ -n "$members" ] || die "no workspace members in Cargo.toml"
for member in $members; do [ -f "$member/Cargo.toml" ] || die "workspace member $member not copied"; done
[ "${#packages[@]}" -gt 0 ] || die "no -p packages"
mkdir -p "target/$dir"
for package in "${packages[@]}"; do
  [ -x "/opt/prebuilt/$package" ] || die "no binary for package $package"
  cp "/opt/prebuilt/$package" "target/$dir/"
done
echo "stand-in cargo: built ${packages[*]} into target/$dir (members: $members)"
SH
# The binaries are stripped already; the stand-in only checks it is handed files.
printf '#!/bin/sh\nfor f in "$@"; do [ -f "$f" ] || { echo "strip: no $f" >&2; exit 1; }; done\n' >"$context/strip"
chmod +x "$context/cargo" "$context/strip"
printf 'FROM %s\nCOPY cargo strip /usr/local/bin/\nCOPY cretoai-node cretoai-authz-sidecar /opt/prebuilt/\n' \
  "$debian_image" >"$context/Dockerfile"
docker build -q -t "$builder_image" "$context" >/dev/null

started=$(date +%s)
docker build --build-arg RUST_IMAGE="$builder_image" --build-arg RUNTIME_IMAGE="$debian_image" \
  -t "$image" . >"$context/build.log" 2>&1 || { tail -n 30 "$context/build.log" >&2; fail "docker build"; }
grep -q '^stand-in cargo: built' "$context/build.log" || fail "the builder stage did not run cargo"
ok "docker build of Dockerfile with stand-in bases: $(($(date +%s) - started))s"

[ "$(docker run --rm --network none "$image" id -un)" = cretoai ] || fail "the image does not run as cretoai"
docker run --rm --network none "$image" cretoai-node --version >/dev/null || fail "cretoai-node does not start"
docker run --rm --network none "$image" cretoai-authz-sidecar --help >/dev/null || fail "the sidecar does not start"
[ "$(docker run --rm --network none "$image" sh -c 'command -v apt-get perl || true')" = "" ] ||
  fail "the runtime image still holds apt or perl"
size=$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1 / 1e6}')
ok "runtime image: user cretoai, both binaries start, no apt/perl, $size"
