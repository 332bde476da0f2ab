"""The root of every paperfeed exception family.

Each capability raises its own subclass (``SourceError``, ``StoreError``, ...), so the
command line can turn any of them into one clear line and a non-zero exit.
"""


class PaperfeedError(Exception):
    """Something went wrong that a user can understand and act on."""
