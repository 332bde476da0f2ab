-- The mail outbox: one row per message key (e.g. digest.<subscriber>.<period>), with the
-- exact bytes to send (zlib-compressed; dropped once sent) and its delivery state.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    message_key      TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    sender           TEXT NOT NULL,          -- envelope MAIL FROM
    recipient        TEXT NOT NULL,          -- envelope RCPT TO
    message_id       TEXT NOT NULL UNIQUE,
    content          BLOB,                   -- NULL once sent
    transactional    INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    claim_token      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
CREATE INDEX outbox_leases ON outbox (state, lease_expires_at) WHERE state = 'sending';

-- Consecutive hard bounces per address (reset by a successful delivery).
CREATE TABLE mail_bounces (
    address        TEXT PRIMARY KEY,         -- lower-cased
    hard_bounces   INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_bounce_at TEXT
);

-- Addresses that receive no more non-transactional mail until they confirm again.
CREATE TABLE suppressed_addresses (
    address       TEXT PRIMARY KEY,          -- lower-cased
    reason        TEXT NOT NULL,
    suppressed_at TEXT NOT NULL
);

-- Named leases (the mail sender, schedulers): one live holder at a time.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
