"""The community: accounts and sign-in, upvotes, saves, submissions, code stars, trending.

Signals (upvotes, saves, Hugging Face upvotes, GitHub stars gained) go into the store's
ledger and move each paper's trending keys in the same transaction; ranking a view is
then one index walk. docs/community.md writes the formula out.
"""

from paperfeed.community.errors import CommunityError, RateLimited
from paperfeed.community.scoring import TrendingModel
from paperfeed.community.settings import CommunitySettings

__all__ = ["CommunityError", "CommunitySettings", "RateLimited", "TrendingModel"]
