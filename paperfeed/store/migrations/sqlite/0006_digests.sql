-- Digests: what each subscriber follows, their thumbs, every digest composed and the
-- sent-log that keeps a paper from ever reaching the same subscriber twice.

-- Free-text topics, arXiv categories and followed authors, one row each.
CREATE TABLE subscriber_interests (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('topic', 'category', 'author')),
    value         TEXT NOT NULL,
    position      INTEGER NOT NULL,             -- the order the subscriber gave
    PRIMARY KEY (subscriber_id, kind, value)
) WITHOUT ROWID;

-- Thumbs up (+1) or down (-1) on a paper, from a mail link or the manage page.
CREATE TABLE subscriber_feedback (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL,
    verdict       INTEGER NOT NULL CHECK (verdict IN (-1, 1)),
    at            TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, paper_id)
) WITHOUT ROWID;

-- One row per (subscriber, period): the picks and reasons, so a digest interrupted
-- between planning and queueing is finished with exactly the same content.
-- state: planned (picks recorded) -> queued (in the outbox) | dropped (the subscriber
-- left or the address is suppressed before it was queued); empty: nothing to send.
CREATE TABLE digests (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    period        TEXT NOT NULL,                -- local date of the digest, 2026-05-09
    window_start  TEXT NOT NULL,
    window_end    TEXT NOT NULL,
    candidates    INTEGER NOT NULL,             -- new papers in the window
    capped        INTEGER NOT NULL DEFAULT 0,   -- a catch-up whose window was cut
    picks_json    TEXT NOT NULL,                -- [{"id": ..., "reason": ...}, ...]
    state         TEXT NOT NULL CHECK (state IN ('planned', 'queued', 'dropped', 'empty')),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, period)
) WITHOUT ROWID;
CREATE INDEX digests_planned ON digests (state) WHERE state = 'planned';

-- The sent-log: ids are canonical (no version, cross-lists are one paper).
CREATE TABLE digest_sent (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL,
    period        TEXT NOT NULL,
    PRIMARY KEY (subscriber_id, paper_id)
) WITHOUT ROWID;
CREATE INDEX digest_sent_paper ON digest_sent (paper_id);

-- Confirmation links are single use: the nonce of every link used, until it expires.
CREATE TABLE used_link_tokens (
    nonce      TEXT PRIMARY KEY,
    used_at    TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

-- Topic vectors, per embedding generation: a topic is embedded once, not per digest.
CREATE TABLE topic_vectors (
    generation TEXT NOT NULL,
    topic      TEXT NOT NULL,
    vector     BLOB NOT NULL,                   -- float32, L2-normalised
    PRIMARY KEY (generation, topic)
) WITHOUT ROWID;

-- Candidates are the papers that arrived in a window.
CREATE INDEX papers_first_seen_at ON papers (first_seen_at);
