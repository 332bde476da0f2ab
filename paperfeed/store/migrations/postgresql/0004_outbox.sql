-- The mail outbox: one row per message key, with the exact bytes to send
-- (zlib-compressed; dropped once sent) and its delivery state. Senders claim rows with
-- SELECT ... FOR UPDATE SKIP LOCKED, so N senders never take the same message.
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    message_key      text NOT NULL UNIQUE,
    kind             text NOT NULL,
    sender           text NOT NULL,
    recipient        text NOT NULL,
    message_id       text NOT NULL UNIQUE,
    content          bytea,
    transactional    boolean NOT NULL DEFAULT false,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    claim_token      text,
    lease_expires_at timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_leases ON outbox (lease_expires_at, id) WHERE state = 'sending';

CREATE TABLE mail_bounces (
    address        text PRIMARY KEY,
    hard_bounces   integer NOT NULL DEFAULT 0,
    last_error     text,
    last_bounce_at timestamptz
);

CREATE TABLE suppressed_addresses (
    address       text PRIMARY KEY,
    reason        text NOT NULL,
    suppressed_at timestamptz NOT NULL
);

CREATE TABLE job_leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL
);
