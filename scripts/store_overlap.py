"""How much of the two store engines is written twice, and how big the store is.

Reads ``paperfeed/store/sqlite/`` and ``paperfeed/store/postgres/`` side by side: a code
line is a stripped line that is not blank, not a comment, does not start an import and
is at least ``--min-length`` (13) characters long, with the engines' parameter placeholders
(``?`` and ``%s``) folded into one. A shared line is one that stands in both folders
(counted as often as it stands on the side where it is rarer): 586 on the two
engines as they stood before the shared store layer. Also prints the line
count of ``paperfeed/store/`` as a whole (every line of every Python and SQL file).

    python scripts/store_overlap.py [--root .]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_PLACEHOLDER = re.compile(r"%s|\?")


def code_lines(folder: Path, min_length: int) -> Counter[str]:
    """Every code line of the Python files under ``folder``, placeholders folded."""
    lines: Counter[str] = Counter()
    for path in sorted(folder.rglob("*.py")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", "import ", "from ")) or len(line) < min_length:
                continue
            lines[_PLACEHOLDER.sub("?", line)] += 1
    return lines


def total_lines(folder: Path) -> int:
    """Every line of the Python and SQL files under ``folder``."""
    return sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for pattern in ("*.py", "*.sql")
        for path in folder.rglob(pattern)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--min-length", type=int, default=13, help="shorter lines are left out")
    args = parser.parse_args()
    store = args.root / "paperfeed" / "store"
    sqlite = code_lines(store / "sqlite", args.min_length)
    postgres = code_lines(store / "postgres", args.min_length)
    shared = sum((sqlite & postgres).values())
    print(f"store/sqlite/ code lines     {sum(sqlite.values()):>6,}")
    print(f"store/postgres/ code lines   {sum(postgres.values()):>6,}")
    print(f"lines on both sides          {shared:>6,}")
    print(f"paperfeed/store/ lines       {total_lines(store):>6,}")


if __name__ == "__main__":
    main()
