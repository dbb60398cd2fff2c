#!/usr/bin/env bash
# Renders a customer page (markdown) to PDF with Debian's Chromium, offline:
#   scripts/render-pdf.sh docs/customer/executive-summary.md   # writes docs/customer/executive-summary.pdf
# Installs chromium (apt) and Python-Markdown (PyPI, in a venv under .ci/work) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

page="${1:?usage: scripts/render-pdf.sh <page.md> [out.pdf]}"
out="${2:-${page%.md}.pdf}"

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if ((${#need[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
venv=.ci/work/docs-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import markdown' 2>/dev/null ||
  "$venv/bin/pip" install -q --disable-pip-version-check 'markdown==3.7'

html="$(mktemp -d)/page.html"
"$venv/bin/python" - "$page" "$html" <<'PY'
import sys, markdown
src, dst = sys.argv[1], sys.argv[2]
body = markdown.markdown(open(src, encoding="utf-8").read(), extensions=["tables"])
style = """
@page { size: A4; margin: 16mm 18mm; }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.4; color: #1a1a1a; }
h1 { font-size: 19pt; margin: 0 0 2pt; } h2 { font-size: 12.5pt; margin: 12pt 0 4pt; color: #0b4f8a; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; }
th, td { border-bottom: 1px solid #ccd; padding: 3pt 5pt; text-align: left; vertical-align: top; }
th { background: #eef2f7; } code { font-size: 9pt; } a { color: #0b4f8a; text-decoration: none; }
ul, ol { margin: 3pt 0; padding-left: 16pt; } li { margin: 1.5pt 0; } p { margin: 4pt 0; }
"""
open(dst, "w", encoding="utf-8").write(
    f"<!doctype html><meta charset=utf-8><title>{src}</title><style>{style}</style>{body}")
PY
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$PWD/$out" "file://$html" 2>/dev/null
rm -rf "$(dirname "$html")"
echo "$out: $(pdfinfo "$out" 2>/dev/null | awk '/^Pages/ {print $2 " pages"}')"
