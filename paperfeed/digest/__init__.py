"""Email digests: subscriptions with double opt-in, personal picks with reasons, a
sent-log so no paper comes twice, scheduling (see docs/digests.md).

What other capabilities call::

    service = SubscriptionService(store, DigestSettings.from_settings(settings), links)
    service.subscribe("ada@example.org", interests=Interests(topics=("diffusion",)))
    run_digests(store, digest_settings, secret_key)   # compose, queue and send what is due
"""

from paperfeed.digest.errors import DigestError, LinkError, SubscriptionError
from paperfeed.digest.links import DigestLinks
from paperfeed.digest.run import RunReport, run_digests
from paperfeed.digest.settings import DigestSettings
from paperfeed.digest.subscriptions import SubscriptionService

__all__ = [
    "DigestError",
    "DigestLinks",
    "DigestSettings",
    "LinkError",
    "RunReport",
    "SubscriptionError",
    "SubscriptionService",
    "run_digests",
]
