-- Accounts, sessions, votes, saves, submissions, code stars and trending.
-- An account is keyed by its normalised address, the same key as subscribers.email.
CREATE TABLE accounts (
    id             bigserial PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    github_handle  text,
    created_at     timestamptz NOT NULL,
    last_signin_at timestamptz
);

CREATE TABLE sessions (
    token_hash  text PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE used_signin_tokens (
    nonce      text PRIMARY KEY,
    used_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX used_signin_tokens_expires ON used_signin_tokens (expires_at);

CREATE TABLE rate_limit_hits (
    key          text NOT NULL,
    window_start bigint NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_hits_window ON rate_limit_hits (window_start);

CREATE TABLE paper_marks (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('upvote', 'save')),
    account_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    paper_id   text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    created_at double precision NOT NULL,
    UNIQUE (account_id, kind, paper_id)
);
CREATE INDEX paper_marks_paper ON paper_marks (paper_id, kind, created_at);

CREATE TABLE submissions (
    paper_id     text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    account_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    submitted_at timestamptz NOT NULL
);
CREATE INDEX submissions_account ON submissions (account_id);

CREATE TABLE paper_repos (
    paper_id text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    repo     text NOT NULL,
    PRIMARY KEY (repo, paper_id)
);
CREATE INDEX paper_repos_paper ON paper_repos (paper_id);

CREATE TABLE github_repos (
    repo       text PRIMARY KEY,
    stars      integer,
    etag       text,
    checked_at timestamptz,
    gone_at    timestamptz
);
CREATE INDEX github_repos_checked ON github_repos (checked_at);

CREATE TABLE star_history (
    repo        text NOT NULL,
    observed_at timestamptz NOT NULL,
    stars       integer NOT NULL,
    source      text NOT NULL,
    PRIMARY KEY (repo, observed_at)
);

CREATE TABLE hf_observed (
    paper_id text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes  integer NOT NULL,
    seen_at  timestamptz NOT NULL
);
CREATE INDEX hf_observed_seen ON hf_observed (seen_at);
CREATE INDEX hf_papers_updated_at ON hf_papers (updated_at);

CREATE TABLE trending_signals (
    id       bigserial PRIMARY KEY,
    paper_id text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    kind     text NOT NULL CHECK (kind IN ('upvote', 'save', 'hf_upvote', 'star')),
    amount   double precision NOT NULL,
    at       double precision NOT NULL
);
CREATE INDEX trending_signals_paper ON trending_signals (paper_id);

CREATE TABLE trending_scores (
    paper_id       text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes        integer NOT NULL DEFAULT 0,
    saves          integer NOT NULL DEFAULT 0,
    hf_upvotes     integer NOT NULL DEFAULT 0,
    stars          integer NOT NULL DEFAULT 0,
    last_signal_at double precision NOT NULL,
    k_today        double precision,
    k_week         double precision,
    k_month        double precision,
    k_all          double precision
);

CREATE TABLE trending_rank (
    category       text NOT NULL,
    paper_id       text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    last_signal_at double precision NOT NULL,
    k_today        double precision,
    k_week         double precision,
    k_month        double precision,
    k_all          double precision,
    PRIMARY KEY (category, paper_id)
);
CREATE INDEX trending_rank_paper ON trending_rank (paper_id);
CREATE INDEX trending_rank_today ON trending_rank (category, k_today DESC NULLS LAST, paper_id);
CREATE INDEX trending_rank_week ON trending_rank (category, k_week DESC NULLS LAST, paper_id);
CREATE INDEX trending_rank_month ON trending_rank (category, k_month DESC NULLS LAST, paper_id);
CREATE INDEX trending_rank_all ON trending_rank (category, k_all DESC NULLS LAST, paper_id);

CREATE TABLE trending_params (
    id          integer PRIMARY KEY CHECK (id = 1),
    params_json text NOT NULL
);

CREATE TRIGGER paper_marks_version AFTER INSERT OR UPDATE OR DELETE ON paper_marks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
CREATE TRIGGER trending_scores_version AFTER INSERT OR UPDATE OR DELETE ON trending_scores
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
CREATE TRIGGER submissions_version AFTER INSERT OR UPDATE OR DELETE ON submissions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
