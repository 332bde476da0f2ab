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
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    rating     TEXT NOT NULL CHECK (rating IN ('more', 'less')),
    rated_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, paper_id)
) WITHOUT ROWID;

-- Followed authors (as written; matched as digests match names), arXiv categories and
-- free-text topics.
CREATE TABLE reader_follows (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('author', 'category', 'topic')),
    value       TEXT NOT NULL,
    followed_at TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, value)
) WITHOUT ROWID;

-- Papers of the reader's imported library (matched entries only); they count as liked.
CREATE TABLE reader_library (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    source     TEXT NOT NULL,                 -- the import's format: bibtex, ris, ...
    added_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, paper_id)
) WITHOUT ROWID;

-- The reader's model, derived from the rows above and kept so a page need not
-- retrain it: `fingerprint` digests the profile it was trained from, `generation` the
-- embeddings it was trained on; either differing means it is retrained.
CREATE TABLE reader_models (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    generation  TEXT NOT NULL,                -- '' without embeddings
    format      INTEGER NOT NULL,             -- ReaderModel's FORMAT
    fingerprint TEXT NOT NULL,
    state       BLOB NOT NULL,                -- ReaderModel.to_bytes()
    updated_at  TEXT NOT NULL
);

-- The collection's statistics every model is measured against, per generation.
CREATE TABLE reader_backgrounds (
    generation TEXT PRIMARY KEY,              -- '' without embeddings
    papers     INTEGER NOT NULL,
    state      BLOB NOT NULL,                 -- Background.to_bytes()
    fitted_at  TEXT NOT NULL
);

-- Secrets of a private feed URL ('feed') and of API access ('api'): only a digest of
-- each token is kept, so a leaked database opens nothing; revoking sets revoked_at.
CREATE TABLE personal_tokens (
    token_hash   TEXT PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('feed', 'api')),
    label        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) WITHOUT ROWID;
CREATE INDEX personal_tokens_account ON personal_tokens (account_id, kind);
