-- Digests: what each subscriber follows, their thumbs, every digest composed and the
-- sent-log that keeps a paper from ever reaching the same subscriber twice.
CREATE TABLE subscriber_interests (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('topic', 'category', 'author')),
    value         text NOT NULL,
    position      integer NOT NULL,
    PRIMARY KEY (subscriber_id, kind, value)
);

CREATE TABLE subscriber_feedback (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    paper_id      text NOT NULL,
    verdict       integer NOT NULL CHECK (verdict IN (-1, 1)),
    at            timestamptz NOT NULL,
    PRIMARY KEY (subscriber_id, paper_id)
);

CREATE TABLE digests (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    period        text NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    candidates    integer NOT NULL,
    capped        boolean NOT NULL DEFAULT false,
    picks_json    text NOT NULL,
    state         text NOT NULL CHECK (state IN ('planned', 'queued', 'dropped', 'empty')),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (subscriber_id, period)
);
CREATE INDEX digests_planned ON digests (state) WHERE state = 'planned';

CREATE TABLE digest_sent (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    paper_id      text NOT NULL,
    period        text NOT NULL,
    PRIMARY KEY (subscriber_id, paper_id)
);
CREATE INDEX digest_sent_paper ON digest_sent (paper_id);

CREATE TABLE used_link_tokens (
    nonce      text PRIMARY KEY,
    used_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE topic_vectors (
    generation text NOT NULL,
    topic      text NOT NULL,
    vector     bytea NOT NULL,
    PRIMARY KEY (generation, topic)
);

CREATE INDEX papers_first_seen_at ON papers (first_seen_at);
