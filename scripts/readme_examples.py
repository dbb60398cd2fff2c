#!/usr/bin/env python3
"""Keeps the curl examples of docs/api.md identical to the example scripts that CI runs.

Each `scripts/<name>-examples.sh` is a set-up (shell variables and helpers, before its first
step) and a sequence of `step "title"` blocks. This renders them as markdown between
`<!-- examples:<name>:start -->` and `<!-- examples:<name>:end -->` in docs/api.md: the set-up
first, so that the examples also work pasted into a shell, one after another.

    python3 scripts/readme_examples.py --write   # regenerate the sections
    python3 scripts/readme_examples.py --check   # fail if the page differs from the scripts
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api.md"


def render(script: pathlib.Path) -> str:
    out, block = [], []

    def flush():
        while block and not block[-1].strip():
            block.pop()
        if block:
            out.append("```sh\n" + "\n".join(block) + "\n```\n")
        block.clear()

    started = False
    setup = []
    for line in script.read_text().splitlines():
        m = re.match(r'^step "(.*)"$', line)
        if m:
            if not started:
                while setup and not setup[-1].strip():
                    setup.pop()
                out.append("**Set up a shell** (paste it first; `RUN` keeps names unique, so the examples can run twice)\n")
                out.append("```sh\n" + "\n".join(setup) + "\n```\n")
            flush()
            started = True
            out.append(f"**{m.group(1)}**\n")
            continue
        if not started:
            in_setup = setup or line.startswith("BASE=")
            if in_setup and not line.startswith("step() "):
                setup.append(line)
            continue
        if line.startswith("printf '\\nall examples passed"):
            continue
        if block or line.strip():
            block.append(line)
    flush()
    return "\n".join(out)


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    text = PAGE.read_text()
    new = text
    for script in sorted((ROOT / "scripts").glob("*-examples.sh")):
        name = script.name[: -len("-examples.sh")]
        start, end = f"<!-- examples:{name}:start -->", f"<!-- examples:{name}:end -->"
        if start not in new or end not in new:
            print(f"docs/api.md has no section {start} ... {end} for {script.name}", file=sys.stderr)
            return 1
        head, rest = new.split(start, 1)
        _, tail = rest.split(end, 1)
        new = f"{head}{start}\n{render(script)}{end}{tail}"
    if mode == "--write":
        PAGE.write_text(new)
        return 0
    if new != text:
        print("docs/api.md examples differ from scripts/*-examples.sh; run: python3 scripts/readme_examples.py --write", file=sys.stderr)
        return 1
    print("docs/api.md examples match the scripts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
