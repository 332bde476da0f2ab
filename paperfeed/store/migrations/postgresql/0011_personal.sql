-- Personal ranking ("For you"): ratings, follows, library, the reader's model, tokens.
--
-- One profile per person: every row is keyed by `accounts.id`, the person's identity
-- (an account and a digest subscriber with the same normalised address are one person,
-- 0005). Deleting the account deletes all of it (ON DELETE CASCADE): ratings, follows,
-- library, model and tokens go in the one `delete_account` call.
--
-- The digest's own data stays where it is and is read as part of the same profile:
-- a thumbs up in mail (`subscriber_feedback.verdict = 1`) counts as "more like this",
-- a thumbs down (-1) as "not for me", and when the same paper has both a rating here
-- and a thumb there, the later one wins; the digest's topics, categories and authors
-- (`subscriber_interests`) are follows, and unfollowing removes them from both places.
-- Saves and upvotes (`paper_marks`) teach the model as they are.

-- "More like this" / "not for me": private, one per (reader, paper); a new rating
-- replaces the old one.
CREATE TABLE reader_ratings (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_id   text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    rating     text NOT NULL CHECK (rating IN ('more', 'less')),
    rated_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, paper_id)
);

-- Followed authors (as written; matched as digests match names), arXiv categories and
-- free-text topics.
CREATE TABLE reader_follows (
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('author', 'category', 'topic')),
    value       text NOT NULL,
    followed_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, kind, value)
);

-- Papers of the reader's imported library (matched entries only); they count as liked.
CREATE TABLE reader_library (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_id   text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    source     text NOT NULL,                 -- the import's format: bibtex, ris, ...
    added_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, paper_id)
);

-- The reader's model, derived from the rows above and kept so a page need not
-- retrain it: `fingerprint` digests the profile it was trained from, `generation` the
-- embeddings it was trained on; either differing means it is retrained.
CREATE TABLE reader_models (
    account_id  bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    generation  text NOT NULL,                -- '' without embeddings
    format      integer NOT NULL,             -- ReaderModel's FORMAT
    fingerprint text NOT NULL,
    state       bytea NOT NULL,               -- ReaderModel.to_bytes()
    updated_at  timestamptz NOT NULL
);

-- The collection's statistics every model is measured against, per generation.
CREATE TABLE reader_backgrounds (
    generation text PRIMARY KEY,              -- '' without embeddings
    papers     integer NOT NULL,
    state      bytea NOT NULL,                -- Background.to_bytes()
    fitted_at  timestamptz NOT NULL
);

-- Secrets of a private feed URL ('feed') and of API access ('api'): only a digest of
-- each token is kept, so a leaked database opens nothing; revoking sets revoked_at.
CREATE TABLE personal_tokens (
    token_hash   text PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('feed', 'api')),
    label        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX personal_tokens_account ON personal_tokens (account_id, kind);
