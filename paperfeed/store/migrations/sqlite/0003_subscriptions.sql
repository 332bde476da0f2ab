-- Subscribers to the email digest. One row per address (stored normalised, so
-- re-subscribing finds the same row). What a subscriber follows (topics, categories,
-- authors), their thumbs and what they were sent live in 0006_digests.
CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,       -- normalised by the caller
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    updated_at      TEXT NOT NULL,
    unsubscribed_at TEXT,
    -- when and how much: 'daily' on the listed weekdays (0 = Monday), or 'weekly' on
    -- the first listed weekday; at local hour `send_hour` in IANA zone `timezone`
    cadence         TEXT NOT NULL DEFAULT 'daily' CHECK (cadence IN ('daily', 'weekly')),
    weekdays        TEXT NOT NULL DEFAULT '01234',
    timezone        TEXT NOT NULL DEFAULT 'UTC',
    send_hour       INTEGER NOT NULL DEFAULT 7 CHECK (send_hour BETWEEN 0 AND 23),
    max_papers      INTEGER NOT NULL DEFAULT 10 CHECK (max_papers BETWEEN 1 AND 100),
    trending_only   INTEGER NOT NULL DEFAULT 1, -- a new subscriber gets the trending digest
    send_empty      INTEGER NOT NULL DEFAULT 0, -- mail "nothing new" days too
    last_digest_at  TEXT                        -- end of the last digest's window
);
CREATE INDEX subscribers_status ON subscribers (status);
