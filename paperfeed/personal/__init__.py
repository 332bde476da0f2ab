"""Personal ranking ("For you"): one model per reader, learned from what they choose.

The store keeps, per reader, the bytes of a ``ReaderModel`` and, per paper, what
``PaperFacts`` needs; the collection's ``Background`` is fitted once per embedding
generation. A rating is ``model.learn(...)`` (exact and constant-time); a page or a
digest is ``rank_for_reader`` or, for many readers at once, ``rank_readers``. See
docs/personalization.md.
"""

from paperfeed.personal.background import Background, fit_background
from paperfeed.personal.errors import ModelStateError, PersonalError
from paperfeed.personal.feed import RankedPaper, rank_for_reader, rank_readers
from paperfeed.personal.model import Event, Follows, ReaderModel, Topic
from paperfeed.personal.papers import Candidates, PaperFacts
from paperfeed.personal.ranking import DEFAULT_BLEND, Blend
from paperfeed.personal.signals import Signal

__all__ = [
    "DEFAULT_BLEND",
    "Background",
    "Blend",
    "Candidates",
    "Event",
    "Follows",
    "ModelStateError",
    "PaperFacts",
    "PersonalError",
    "RankedPaper",
    "ReaderModel",
    "Signal",
    "Topic",
    "fit_background",
    "rank_for_reader",
    "rank_readers",
]
