"""`make audit`: bandit over the code, where every finding is fixed or justified.

The code already answers to bandit's rules through ruff's flake8-bandit port (`S` in
pyproject.toml), and a finding that is not a defect carries its reason at the line:
`# noqa: S608 - names from _meta`. Bandit does not read those comments, so this runs bandit
and accepts a finding only when its lines carry `noqa: S<nnn>` (bandit's B<nnn>), `nosec`, or
it is one of the few listed below with the reason. Anything else fails, with its location.

    python .ci/bandit_justified.py [PATHS...]   (default: soporte, without tests/migrations)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

# Bandit ids checked under another ruff code.
RUFF_CODE = {"B703": "S308"}  # django_mark_safe: ruff's S308 (mark_safe)

# Findings of a whole kind that are not defects here, with the reason.
SKIPPED = {
    "B101": "assert narrows types for mypy; ruff ignores S101 project-wide for the same reason",
    "B311": "random picks demo data and jitter, never a secret (secrets does tokens); ruff S311",
    "B403": "importing pickle: each load is checked on its own (B301) and carries its reason",
    "B404": "importing subprocess: each call is checked on its own (B603/B607)",
    "B405": "building XML (Element): parsing goes through defusedxml (B313-B320 would flag it)",
    "B406": "xml.sax.saxutils.escape: escaping, not parsing",
}

# Single findings in code without an inline comment, with the reason.
ACCEPTED = {
    ("soporte/calls/cti.py", "B106"): 'exclude(hmac_secret=""): an empty value, not a password',
    ("soporte/calls/models.py", "B106"): 'Q(token_hash=""): a constraint on empty, no password',
    ("soporte/knowledge/comments.py", "B105"): 'token = "": the empty default, no password',
}

NOQA = re.compile(r"#\s*noqa:\s*([A-Z0-9, ]+)")


def justified(finding: dict, lines: list[str]) -> bool:
    test_id = finding["test_id"]
    if test_id in SKIPPED or (finding["filename"], test_id) in ACCEPTED:
        return True
    code = RUFF_CODE.get(test_id, "S" + test_id[1:])
    first, last = min(finding["line_range"]), max(finding["line_range"])
    # ruff wants a multi-line string's noqa on its last line: look one line past the range.
    for text in lines[first - 1 : last + 1]:
        if "nosec" in text:
            return True
        match = NOQA.search(text)
        if match and code in [c.strip() for c in match.group(1).split(",")]:
            return True
    return False


def main(paths: list[str]) -> int:
    run = subprocess.run(  # noqa: S603 - bandit from this environment, fixed arguments
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-r",
            *paths,
            "-x",
            "*/tests/*,*/migrations/*",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    if report.get("errors"):
        print("bandit could not read:", report["errors"], file=sys.stderr)
        return 2
    cache: dict[str, list[str]] = {}
    open_findings = []
    for finding in report["results"]:
        name = finding["filename"]
        lines = cache.setdefault(name, Path(name).read_text(encoding="utf-8").splitlines())
        if not justified(finding, lines):
            open_findings.append(finding)
    for f in open_findings:
        print(f"{f['filename']}:{f['line_number']}: {f['test_id']} {f['issue_text']}")
    total = len(report["results"])
    print(
        f"bandit: {total} finding(s), {total - len(open_findings)} justified, "
        f"{len(open_findings)} open"
    )
    return 1 if open_findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["soporte"]))
