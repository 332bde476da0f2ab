-- Accounts, sessions, votes, saves, submissions, code stars and trending.
-- An account is keyed by its normalised address, the same key as `subscribers.email`:
-- a subscriber and an account with the same address are one person (joined by email).
CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,        -- normalised by the caller
    display_name   TEXT NOT NULL,
    github_handle  TEXT,
    created_at     TEXT NOT NULL,
    last_signin_at TEXT
);

-- Only a digest of the cookie's token is kept: a leaked database opens no session.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Sign-in links are single use: the nonce of every link used, until it would expire.
CREATE TABLE used_signin_tokens (
    nonce      TEXT PRIMARY KEY,
    used_at    TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX used_signin_tokens_expires ON used_signin_tokens (expires_at);

-- Fixed-window counters; `key` holds a digest of the address or IP, never the value.
CREATE TABLE rate_limit_hits (
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_limit_hits_window ON rate_limit_hits (window_start);

-- Upvotes and saves. Deleting an account keeps its marks anonymously (account NULL), so
-- counts and trending do not move; "upvoted by" and reading lists forget the person.
CREATE TABLE paper_marks (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('upvote', 'save')),
    account_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    created_at REAL NOT NULL,                   -- unix seconds
    UNIQUE (account_id, kind, paper_id)
);
CREATE INDEX paper_marks_paper ON paper_marks (paper_id, kind, created_at);

CREATE TABLE submissions (
    paper_id     TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    account_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX submissions_account ON submissions (account_id);

-- Code: which GitHub repositories a paper names, and their star counts over time.
CREATE TABLE paper_repos (
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    repo     TEXT NOT NULL,                     -- "owner/name", lower-cased
    PRIMARY KEY (repo, paper_id)
) WITHOUT ROWID;
CREATE INDEX paper_repos_paper ON paper_repos (paper_id);

CREATE TABLE github_repos (
    repo       TEXT PRIMARY KEY,
    stars      INTEGER,                         -- last count seen, NULL before the first
    etag       TEXT,
    checked_at TEXT,                            -- last GitHub API look-up
    gone_at    TEXT                             -- GitHub answered 404: never asked again
) WITHOUT ROWID;
CREATE INDEX github_repos_checked ON github_repos (checked_at);

CREATE TABLE star_history (
    repo        TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    stars       INTEGER NOT NULL,
    source      TEXT NOT NULL,                  -- 'github' or 'hf-daily'
    PRIMARY KEY (repo, observed_at)
) WITHOUT ROWID;

-- Hugging Face upvotes as last turned into signals, per paper.
CREATE TABLE hf_observed (
    paper_id TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes  INTEGER NOT NULL,
    seen_at  TEXT NOT NULL                      -- hf_papers.updated_at of that reading
) WITHOUT ROWID;
CREATE INDEX hf_observed_seen ON hf_observed (seen_at);
CREATE INDEX hf_papers_updated_at ON hf_papers (updated_at);

-- The ledger every trending score is made of: (paper, kind, signed amount, when).
-- A withdrawn vote is a negative amount at the vote's own time.
CREATE TABLE trending_signals (
    id       INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('upvote', 'save', 'hf_upvote', 'star')),
    amount   REAL NOT NULL,
    at       REAL NOT NULL                      -- unix seconds
);
CREATE INDEX trending_signals_paper ON trending_signals (paper_id);

-- Per paper: net amount of each kind and, per window, the score key
-- k = ln(sum of w * a * e^(lambda * (t - t0))), kept up to date with every signal.
CREATE TABLE trending_scores (
    paper_id       TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes        INTEGER NOT NULL DEFAULT 0,
    saves          INTEGER NOT NULL DEFAULT 0,
    hf_upvotes     INTEGER NOT NULL DEFAULT 0,
    stars          INTEGER NOT NULL DEFAULT 0,
    last_signal_at REAL NOT NULL,
    k_today        REAL,
    k_week         REAL,
    k_month        REAL,
    k_all          REAL
) WITHOUT ROWID;

-- The same keys once per (category, paper), category '' meaning every paper, so each
-- trending view is one walk down one index: no scan, no sort.
CREATE TABLE trending_rank (
    category       TEXT NOT NULL,
    paper_id       TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    last_signal_at REAL NOT NULL,
    k_today        REAL,
    k_week         REAL,
    k_month        REAL,
    k_all          REAL,
    PRIMARY KEY (category, paper_id)
) WITHOUT ROWID;
CREATE INDEX trending_rank_paper ON trending_rank (paper_id);
CREATE INDEX trending_rank_today ON trending_rank (category, k_today DESC, paper_id);
CREATE INDEX trending_rank_week ON trending_rank (category, k_week DESC, paper_id);
CREATE INDEX trending_rank_month ON trending_rank (category, k_month DESC, paper_id);
CREATE INDEX trending_rank_all ON trending_rank (category, k_all DESC, paper_id);

-- The weights and half-lives the stored keys were computed with (one row).
CREATE TABLE trending_params (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    params_json TEXT NOT NULL
);
