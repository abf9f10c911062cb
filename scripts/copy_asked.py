"""Copies the tuning part of the real questions into knowledge/asked.yaml, as more ways of asking each answer.

    python scripts/copy_asked.py            # rewrites knowledge/asked.yaml
    python scripts/copy_asked.py --check    # exit 1 if the file is not what this would write

Only rows with `split: tune` in tests/data/real_questions.yaml are copied: a question of the test part
must never teach the matcher, or scoring on it would flatter. A question is copied under the answer its row
expects; one to decline goes under the refusal its `also:` names first, and one that no answer fits yet is
left out. Run scripts/fit_matching.py --write afterwards: the fit holds each page's questions out while it
reads them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real_questions.yaml"
ASKED = ROOT / "knowledge" / "asked.yaml"
OUT_OF_SCOPE = "out_of_scope"
UNANSWERED = "none"

HEADER = """\
# Questions people really asked on public pages, word for word, each under the answer that fits it.
# The matcher reads them as more ways of asking that answer, beside its examples; they are never shown.
#
# answer: the id of the answer entry (answers/*.yaml)
# text:   the question as it was written
# url:    the page it was asked on
#
# Written by `python scripts/copy_asked.py` from the tuning part of tests/data/real_questions.yaml: edit
# that file and run the script again rather than editing here, then refit with
# `python scripts/fit_matching.py --write`.
"""


def asked_rows(real: Path = REAL) -> list[dict[str, str]]:
    """The tuning part's questions that an answer fits, as asked.yaml rows, in the real set's order."""
    rows = yaml.safe_load(real.read_text(encoding="utf-8"))["questions"]
    found: list[dict[str, str]] = []
    for row in rows:
        if row["split"] != "tune" or row["expect"] == UNANSWERED:
            continue
        answer = str(row["expect"])
        if answer == OUT_OF_SCOPE:
            refusals = row.get("also") or []
            if not refusals:
                continue
            answer = str(refusals[0])
        found.append({"answer": answer, "text": str(row["text"]), "url": str(row["url"])})
    return found


def render(rows: Sequence[dict[str, str]]) -> str:
    """The text of asked.yaml for these rows."""
    body = yaml.safe_dump({"asked": list(rows)}, allow_unicode=True, sort_keys=False, width=120)
    return HEADER + body


def main(argv: Sequence[str] | None = None) -> int:
    """Writes knowledge/asked.yaml, or with --check tells whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    args = parser.parse_args(argv)
    text = render(asked_rows())
    if args.check:
        current = ASKED.read_text(encoding="utf-8") if ASKED.is_file() else ""
        if current != text:
            print(f"{ASKED} is out of date: run python scripts/copy_asked.py", file=sys.stderr)
            return 1
        return 0
    ASKED.write_text(text, encoding="utf-8")
    print(f"wrote {len(asked_rows())} questions to {ASKED}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
