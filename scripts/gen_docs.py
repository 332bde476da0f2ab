"""Rewrite the settings table in docs/configuration.md from paperfeed.config.SETTINGS."""

from __future__ import annotations

import re
from pathlib import Path

from paperfeed.config import settings_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = re.compile(r"^\| setting \|.*?(?=^[^|]|\Z)", re.MULTILINE | re.DOTALL)
    DOC.write_text(table.sub(lambda _: settings_table(), text, count=1), encoding="utf-8")


if __name__ == "__main__":
    main()
