"""Papers of two distinct fields on the sample's latest day, for the personal pages'
tests: a reader's taste must visibly reorder them."""

from __future__ import annotations

from datetime import timedelta

from paperfeed.papers.model import Author
from paperfeed.store import PaperStore
from tests.factories import make_paper
from tests.web.conftest import DAY

LATTICE = "2603.01010"
GRAPHS = "2603.01011"
OLD_LATTICE = "2603.00210"


def add_taste_papers(store: PaperStore) -> PaperStore:
    """Two new papers of distinct fields on the latest day, and an older one like the
    first."""
    lattice = "Lattice gauge theory and confinement in string dualities"
    store.upsert_papers(
        [
            make_paper(
                LATTICE,
                title=lattice,
                abstract="Confinement of quarks from lattice gauge theory and string dualities.",
                announced=DAY,
                primary_category="hep-lat",
                categories=("hep-lat", "hep-th"),
                authors=(Author("Yann LeCun"), Author("Léon Bottou")),
            ),
            make_paper(
                GRAPHS,
                title="Message passing graph networks for molecules",
                abstract="Graph neural networks with message passing predict molecules.",
                announced=DAY,
                authors=(Author("Ada Lovelace"),),
            ),
            make_paper(
                OLD_LATTICE,
                title="Confinement and string tension on the lattice",
                abstract="Lattice gauge theory shows confinement and string tension of quarks.",
                announced=DAY - timedelta(days=3),
                published=DAY - timedelta(days=3),
                primary_category="hep-lat",
                categories=("hep-lat",),
                authors=(Author("Y. LeCun"), Author("Kenneth Wilson")),
            ),
        ],
        source="jsonl",
    )
    return store
