-- Papers, where they came from, and where each source stopped.
CREATE TABLE papers (
    id               TEXT PRIMARY KEY,          -- canonical arXiv id, no version
    version          INTEGER,                   -- latest known version, NULL if unknown
    title            TEXT NOT NULL,             -- as written (LaTeX kept)
    abstract         TEXT NOT NULL,
    title_text       TEXT NOT NULL,             -- plain-text renderings
    abstract_text    TEXT NOT NULL,
    authors_text     TEXT NOT NULL,
    authors_json     TEXT NOT NULL,             -- [{"name", "affiliations"}], in order
    primary_category TEXT,
    categories_json  TEXT NOT NULL,
    published        TEXT,                      -- v1 date, ISO
    updated          TEXT,                      -- last-updated date, ISO
    announced        TEXT,                      -- listing day, ISO
    comments         TEXT,
    journal_ref      TEXT,
    doi              TEXT,
    license          TEXT,
    code_links_json  TEXT NOT NULL,
    content_hash     TEXT NOT NULL,
    first_seen_at    TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX papers_announced ON papers (announced);
CREATE INDEX papers_primary_category ON papers (primary_category);
CREATE INDEX papers_doi ON papers (doi) WHERE doi IS NOT NULL;

CREATE TABLE paper_categories (
    category TEXT NOT NULL,
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    PRIMARY KEY (category, paper_id)
) WITHOUT ROWID;
CREATE INDEX paper_categories_paper ON paper_categories (paper_id);

CREATE TABLE hf_papers (
    paper_id         TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes          INTEGER,
    featured_on      TEXT,
    submitter        TEXT,
    ai_summary       TEXT,
    ai_keywords_json TEXT NOT NULL DEFAULT '[]',
    github_repo      TEXT,
    github_stars     INTEGER,
    project_page     TEXT,
    organization     TEXT,
    num_comments     INTEGER,
    thumbnail        TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX hf_papers_featured_on ON hf_papers (featured_on);

CREATE TABLE paper_sources (
    source          TEXT NOT NULL,
    paper_id        TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    content_hash    TEXT NOT NULL,              -- what this source last said, for no-op detection
    first_seen_at   TEXT NOT NULL,
    last_changed_at TEXT NOT NULL,
    PRIMARY KEY (source, paper_id)
) WITHOUT ROWID;
CREATE INDEX paper_sources_paper ON paper_sources (paper_id);

CREATE TABLE checkpoints (
    key        TEXT PRIMARY KEY,
    state_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
