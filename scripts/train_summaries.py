"""Train the TL;DR and keyword models on SciTLDR-A train and write them into the package.

Reproduces paperfeed/summaries/data/{tldr,keywords,word_frequencies}.json from the
SciTLDR-A training split (1,992 papers, their abstract sentences and the authors' TL;DRs;
Apache-2.0) and nothing else. Abstracts are rendered and split as ingest does (LaTeX to
text, then paperfeed's sentence splitter), so the models learn from what they will see.

Usage (from the repository root; needs the dev extra for scikit-learn and rouge-score):
    .venv/bin/python scripts/train_summaries.py [--data ../shared/data/scitldr/train.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rouge_score import rouge_scorer
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from paperfeed.papers.latex import latex_to_text  # noqa: E402
from paperfeed.summaries.keywords import keyword_candidates, keyword_features  # noqa: E402
from paperfeed.summaries.linear import LinearModel  # noqa: E402
from paperfeed.summaries.rarity import ShippedFrequencies, _rarities  # noqa: E402
from paperfeed.summaries.sentences import split_sentences  # noqa: E402
from paperfeed.summaries.summarizer import MODEL_VERSION  # noqa: E402
from paperfeed.summaries.tldr import (  # noqa: E402
    CUE,
    candidate_features,
    tldr_candidates,
    word_features,
)
from paperfeed.summaries.words import STOPWORDS, WORD, word_key  # noqa: E402

DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "scitldr" / "train.jsonl"
OUT_DIR = REPO_ROOT / "paperfeed" / "summaries" / "data"
WORD_VOCABULARY_MIN_PAPERS = 30  # a word gets its own weight when this many abstracts use it
KEYWORD_VOCABULARY_MIN_PAPERS = 20
FREQUENCY_MIN_PAPERS = 2  # the shipped table leaves out words of a single abstract
RANKER_ALPHA = 10.0
LOGISTIC_C = 1.0
FOLDS = 5


class Paper:
    def __init__(self, row: dict[str, Any]) -> None:
        self.title = latex_to_text(row["title"])
        self.abstract = latex_to_text(" ".join(row["source"]))
        self.sentences = split_sentences(self.abstract)
        self.references: list[str] = list(row["target"])
        self.reference_keys = {word_key(w) for t in self.references for w in WORD.findall(t)}


def load(path: Path) -> list[Paper]:
    with path.open(encoding="utf-8") as f:
        return [Paper(json.loads(line)) for line in f if line.strip()]


def fit_logistic(rows: list[dict[str, float]], labels: Sequence[bool]) -> LinearModel:
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(rows)
    model = LogisticRegression(C=LOGISTIC_C, max_iter=5000).fit(x, np.asarray(labels))
    return _linear(vectorizer, model.coef_[0], float(model.intercept_[0]), "logistic")


def _linear(vectorizer: DictVectorizer, coef: Any, bias: float, link: Any) -> LinearModel:
    names = vectorizer.get_feature_names_out()
    weights = {str(n): round(float(w), 5) for n, w in zip(names, coef, strict=True)}
    return LinearModel({n: w for n, w in weights.items() if w != 0.0}, round(bias, 5), link)


def train_word_model(
    papers: list[Paper], vocabulary: set[str]
) -> tuple[LinearModel, list[dict[str, float]]]:
    """The word model, and out-of-fold word probabilities for training the ranker."""
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    groups: list[int] = []
    keys: list[str] = []
    for index, paper in enumerate(papers):
        for key, features in word_features(paper.sentences, paper.title).items():
            rows.append(_in_vocabulary(features, vocabulary))
            labels.append(key in paper.reference_keys)
            groups.append(index)
            keys.append(key)
    model = fit_logistic(rows, labels)
    out_of_fold: list[dict[str, float]] = [{} for _ in papers]
    group_array = np.asarray(groups)
    for train, held_out in GroupKFold(FOLDS).split(rows, labels, group_array):
        fold_model = fit_logistic([rows[i] for i in train], [labels[i] for i in train])
        for i in held_out:
            out_of_fold[groups[i]][keys[i]] = fold_model.score(rows[i])
    return model, out_of_fold


def _in_vocabulary(features: dict[str, float], vocabulary: set[str]) -> dict[str, float]:
    return {k: v for k, v in features.items() if not k.startswith("v:") or k[2:] in vocabulary}


def train_ranker(papers: list[Paper], salience: list[dict[str, float]]) -> LinearModel:
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    rows: list[dict[str, float]] = []
    targets: list[float] = []
    for paper, words in zip(papers, salience, strict=True):
        title_keys = {word_key(w) for w in WORD.findall(paper.title)} - STOPWORDS
        first_cue = next((i for i, s in enumerate(paper.sentences) if CUE.search(s)), -1)
        for candidate in tldr_candidates(paper.sentences):
            rows.append(
                candidate_features(candidate, len(paper.sentences), first_cue, title_keys, words)
            )
            targets.append(
                max(scorer.score(r, candidate.text)["rouge1"].fmeasure for r in paper.references)
            )
    vectorizer = DictVectorizer()
    x = vectorizer.fit_transform(rows)
    model = Ridge(alpha=RANKER_ALPHA).fit(x, np.asarray(targets))
    return _linear(vectorizer, model.coef_, float(model.intercept_), "identity")


def train_keyword_model(
    papers: list[Paper], frequencies: ShippedFrequencies, vocabulary: set[str]
) -> LinearModel:
    rows: list[dict[str, float]] = []
    labels: list[bool] = []
    frozen = frozenset(vocabulary)
    for paper in papers:
        phrases, runs = keyword_candidates(paper.title, paper.abstract)
        rarity = _rarities(frequencies, sorted({k for keys in phrases for k in keys}))
        for keys, phrase in phrases.items():
            rows.append(keyword_features(phrase, runs, rarity, frozen))
            labels.append(all(k in paper.reference_keys for k in keys))
    return fit_logistic(rows, labels)


def document_frequencies(papers: list[Paper]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for paper in papers:
        counts.update({word_key(w) for w in WORD.findall(f"{paper.title} {paper.abstract}")})
    return counts


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    print(f"wrote {path.relative_to(REPO_ROOT)} ({path.stat().st_size:,} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SciTLDR-A train.jsonl")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder of the model files")
    args = parser.parse_args(argv)

    papers = load(args.data)
    print(f"{len(papers):,} training papers from {args.data}")
    frequencies = document_frequencies(papers)
    provenance = {
        "trained_on": f"SciTLDR-A train ({len(papers)} papers), Apache-2.0",
        "script": "scripts/train_summaries.py",
        "version": MODEL_VERSION,
    }
    table = {k: c for k, c in sorted(frequencies.items()) if c >= FREQUENCY_MIN_PAPERS}
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(
        args.out / "word_frequencies.json",
        {**provenance, "documents": len(papers), "frequencies": table},
    )
    shipped = ShippedFrequencies(table, len(papers))

    word_vocabulary = {k for k, c in frequencies.items() if c >= WORD_VOCABULARY_MIN_PAPERS}
    words, out_of_fold = train_word_model(papers, word_vocabulary)
    ranker = train_ranker(papers, out_of_fold)
    write_json(
        args.out / "tldr.json", {**provenance, "words": words.to_json(), "ranker": ranker.to_json()}
    )

    keyword_vocabulary = {
        k for k, c in frequencies.items() if c >= KEYWORD_VOCABULARY_MIN_PAPERS
    } - STOPWORDS
    keywords = train_keyword_model(papers, shipped, keyword_vocabulary)
    write_json(
        args.out / "keywords.json",
        {**provenance, "model": keywords.to_json(), "vocabulary": sorted(keyword_vocabulary)},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
