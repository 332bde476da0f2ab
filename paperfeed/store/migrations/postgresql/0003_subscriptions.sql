-- Subscribers to the email digest. One row per address (stored normalised, so
-- re-subscribing finds the same row). Interests, feedback and the sent-log: 0006.
CREATE TABLE subscribers (
    id              bigserial PRIMARY KEY,
    email           text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at      timestamptz NOT NULL,
    confirmed_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    unsubscribed_at timestamptz,
    cadence         text NOT NULL DEFAULT 'daily' CHECK (cadence IN ('daily', 'weekly')),
    weekdays        text NOT NULL DEFAULT '01234',
    timezone        text NOT NULL DEFAULT 'UTC',
    send_hour       integer NOT NULL DEFAULT 7 CHECK (send_hour BETWEEN 0 AND 23),
    max_papers      integer NOT NULL DEFAULT 10 CHECK (max_papers BETWEEN 1 AND 100),
    trending_only   boolean NOT NULL DEFAULT true,
    send_empty      boolean NOT NULL DEFAULT false,
    last_digest_at  timestamptz
);
CREATE INDEX subscribers_status ON subscribers (status);

CREATE TRIGGER subscribers_version AFTER INSERT OR UPDATE OR DELETE ON subscribers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
