"""Benchmark paperfeed's LaTeX renderer against pylatexenc on real arXiv abstracts.

Why: imports must sustain >= 5,000 papers/s and pylatexenc's LatexNodes2Text
is far too slow (and raises on some inputs); this prints the figures that
justify (and guard) our own renderer.

Usage (from the repo root):
    .venv/bin/python benchmarks/latex_render.py [-n 20000] [--data PATH]
        [--baseline-n 2000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import lzma
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from paperfeed.papers.latex import _has_latex, latex_to_text  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "papers-300k.jsonl.xz"


def load_abstracts(path: Path, limit: int) -> list[str]:
    """Stream the first ``limit`` non-empty abstracts from a JSONL.xz file."""
    out: list[str] = []
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        for line in itertools.islice(fh, limit):
            abstract = json.loads(line).get("abstract")
            if isinstance(abstract, str) and abstract:
                out.append(abstract)
    return out


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "inf/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="abstracts to read")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="JSONL.xz path")
    parser.add_argument(
        "--baseline-n",
        type=int,
        default=2_000,
        help="LaTeX-bearing abstracts to give pylatexenc (it is slow); 0 skips it",
    )
    parser.add_argument("--repeat", type=int, default=3, help="best of N timing runs")
    args = parser.parse_args(argv)

    abstracts = load_abstracts(args.data, args.n)
    latex = [a for a in abstracts if _has_latex(a)]  # the ones off the fast path
    print(
        f"abstracts: {len(abstracts):,}  with LaTeX triggers: {len(latex):,} "
        f"({100 * len(latex) / max(1, len(abstracts)):.1f}%)  "
        f"fast path share: {100 * (1 - len(latex) / max(1, len(abstracts))):.1f}%"
    )

    def best(items: list[str]) -> float:
        times = []
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            for text in items:
                latex_to_text(text)
            times.append(time.perf_counter() - t0)
        return min(times)

    t_all = best(abstracts)
    t_latex = best(latex)
    print(
        f"latex_to_text, all abstracts:          {rate(len(abstracts), t_all)}"
        f"  ({1e6 * t_all / max(1, len(abstracts)):.1f} us each)"
    )
    print(
        f"latex_to_text, LaTeX-bearing only:     {rate(len(latex), t_latex)}"
        f"  ({1e6 * t_latex / max(1, len(latex)):.1f} us each)"
    )

    if args.baseline_n > 0:
        from pylatexenc.latex2text import LatexNodes2Text

        converter = LatexNodes2Text()
        subset = latex[: args.baseline_n]
        errors = 0
        t0 = time.perf_counter()
        for text in subset:
            try:
                converter.latex_to_text(text)
            except Exception:
                errors += 1
        t_base = time.perf_counter() - t0
        print(
            f"pylatexenc LatexNodes2Text, LaTeX-bearing subset of {len(subset):,}: "
            f"{rate(len(subset), t_base)}  ({1e3 * t_base / max(1, len(subset)):.2f} ms each), "
            f"exceptions: {errors}"
        )
        if t_latex > 0 and t_base > 0 and subset:
            speedup = (t_base / len(subset)) / (t_latex / max(1, len(latex)))
            print(f"speed-up on LaTeX-bearing abstracts: {speedup:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
