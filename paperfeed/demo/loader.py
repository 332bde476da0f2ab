"""Load the bundled demo: a recorded day, played back as the day it is first loaded.

The demo holds the arXiv papers of the week up to ``RECORDED_DAY`` and Hugging Face's
daily papers of that day (upvotes, AI summaries, GitHub repositories and stars). A fresh
instance should look like any other day: the last day's papers have just arrived (and
wear the "new" badge), the days before arrived on the days before, and what people
upvoted and starred that day is trending now. So every time the store records for the
demo (when each paper arrived, when each upvote and star counted) is shifted by the time
between the recording (noon UTC on ``RECORDED_DAY``) and the first load. The papers'
own dates stay as arXiv and Hugging Face give them.

Each step can be repeated without effect, and the moment of the first load is kept in
the store (the ``demo`` checkpoint), so a load killed anywhere is finished by the next
start, on the same timeline.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Protocol

from paperfeed.config import Settings
from paperfeed.ingest import IngestReport, run_ingest
from paperfeed.papers.model import Paper
from paperfeed.sources.base import Source
from paperfeed.sources.hf_daily import papers_from_daily
from paperfeed.sources.jsonl import JSONLSource
from paperfeed.store.base import PaperRecords, UpsertResult
from paperfeed.store.community import CommunityStore
from paperfeed.store.trending import TrendingStore
from paperfeed.store.trending_rows import listed_at

RECORDED_DAY = date(2026, 6, 12)
RECORDED_AT = datetime.combine(RECORDED_DAY, time(12), UTC)
CHECKPOINT = "demo"
PAPERS = "papers.jsonl.gz"
HUGGING_FACE_DAY = "hf_daily_papers.json.gz"


@dataclass
class DemoReport:
    """What one load did (a load that finds everything done reports nothing new)."""

    papers: IngestReport
    hugging_face: UpsertResult
    trending_rows: int
    first_load_at: datetime

    @property
    def changed(self) -> bool:
        return self.papers.changed or self.hugging_face.changed > 0 or self.trending_rows > 0


def _file(name: str) -> Path:
    return Path(str(resources.files("paperfeed.demo").joinpath(name)))


def papers_source() -> Source:
    """The demo's papers, as ``paperfeed ingest jsonl`` reads them."""
    return JSONLSource(_file(PAPERS))


def hugging_face_papers() -> list[Paper]:
    """The recorded daily-papers response, as the hf-daily source maps it."""
    body = gzip.decompress(_file(HUGGING_FACE_DAY).read_bytes())
    return papers_from_daily(body, RECORDED_DAY, f"the demo's {HUGGING_FACE_DAY}")


class DemoStore(PaperRecords, TrendingStore, CommunityStore, Protocol):
    """What loading the demo writes: papers and checkpoints, the replayed Hugging Face
    readings and the trending signals they turn into."""


def demo_pending(store: PaperRecords) -> bool:
    """Whether to load the demo: into an empty store, or to finish a load cut short."""
    state = store.get_checkpoint(CHECKPOINT)
    if state is None:
        return store.count_papers() == 0
    return not state.get("loaded")


def load_demo(
    store: DemoStore,
    settings: Settings,
    *,
    restart: bool = False,
    now: datetime | None = None,
) -> DemoReport:
    """Store the demo's papers and Hugging Face day, place them on the replayed
    timeline and count the day's upvotes and stars as trending signals. The keyword
    index and the vectors follow as after any ingest (``paperfeed.derived``)."""
    first_load = _first_load(store, now or datetime.now(UTC))
    shift = first_load - RECORDED_AT
    papers = run_ingest(store, papers_source(), restart=restart)
    recorded = hugging_face_papers()
    hugging_face = store.upsert_papers(recorded, source="hf-daily")
    ids = [p.id for p in _demo_papers()] + [p.id for p in recorded]
    store.set_first_seen(_arrivals(store, ids, shift, first_load), stored_since=first_load)
    rows = _count_signals(store, settings, frozenset(p.id for p in recorded), shift)
    _save_state(store, first_load, loaded=True)
    return DemoReport(papers, hugging_face, rows, first_load)


def _first_load(store: DemoStore, now: datetime) -> datetime:
    state = store.get_checkpoint(CHECKPOINT) or {}
    if state.get("first_load_at"):
        return datetime.fromisoformat(str(state["first_load_at"]))
    _save_state(store, now, loaded=False)
    return now


def _save_state(store: DemoStore, first_load: datetime, *, loaded: bool) -> None:
    state = {"first_load_at": first_load.isoformat(), "loaded": loaded}
    store.upsert_papers([], source=CHECKPOINT, checkpoint_key=CHECKPOINT, checkpoint=state)


def _demo_papers() -> list[Paper]:
    return [p for page in papers_source().pages(None) for p in page.papers]


def _arrivals(
    store: DemoStore, ids: list[str], shift: timedelta, first_load: datetime
) -> dict[str, datetime]:
    """When each paper arrives on the replayed timeline: its listing day (noon UTC),
    shifted; the recorded day's papers arrive at the first load."""
    arrivals = {}
    for paper_id, stored in store.get_papers(ids).items():
        listed = listed_at(stored.paper.announced or stored.paper.published, first_load)
        arrivals[paper_id] = min(datetime.fromtimestamp(listed, UTC) + shift, first_load)
    return arrivals


def _count_signals(
    store: DemoStore, settings: Settings, recorded: frozenset[str], shift: timedelta
) -> int:
    from paperfeed.community.hf_signals import Replay, import_hf_signals
    from paperfeed.community.ranking import ensure_params
    from paperfeed.community.settings import CommunitySettings

    community = CommunitySettings.from_settings(settings)
    model = community.trending_model()
    ensure_params(store, model)
    replay = Replay(recorded, RECORDED_AT, shift)
    return import_hf_signals(store, community, model, replay).papers
