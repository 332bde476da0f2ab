-- Papers, where they came from, and where each source stopped.
CREATE TABLE papers (
    id               text COLLATE "C" PRIMARY KEY, -- canonical arXiv id, no version;
                                                 -- byte order, as on SQLite
    version          integer,
    title            text NOT NULL,             -- as written (LaTeX kept)
    abstract         text NOT NULL,
    title_text       text NOT NULL,             -- plain-text renderings
    abstract_text    text NOT NULL,
    authors_text     text NOT NULL,
    authors_json     text NOT NULL,
    primary_category text,
    categories_json  text NOT NULL,
    published        date,
    updated          date,
    announced        date,
    comments         text,
    journal_ref      text,
    doi              text,
    license          text,
    code_links_json  text NOT NULL,
    content_hash     text NOT NULL,
    first_seen_at    timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX papers_announced ON papers (announced);
CREATE INDEX papers_primary_category ON papers (primary_category);
CREATE INDEX papers_doi ON papers (doi) WHERE doi IS NOT NULL;

CREATE TABLE paper_categories (
    category text NOT NULL,
    paper_id text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    PRIMARY KEY (category, paper_id)
);
CREATE INDEX paper_categories_paper ON paper_categories (paper_id);

CREATE TABLE hf_papers (
    paper_id         text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    upvotes          integer,
    featured_on      date,
    submitter        text,
    ai_summary       text,
    ai_keywords_json text NOT NULL DEFAULT '[]',
    github_repo      text,
    github_stars     integer,
    project_page     text,
    organization     text,
    num_comments     integer,
    thumbnail        text,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX hf_papers_featured_on ON hf_papers (featured_on);

CREATE TABLE paper_sources (
    source          text NOT NULL,
    paper_id        text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    content_hash    text NOT NULL,
    first_seen_at   timestamptz NOT NULL,
    last_changed_at timestamptz NOT NULL,
    PRIMARY KEY (source, paper_id)
);
CREATE INDEX paper_sources_paper ON paper_sources (paper_id);

CREATE TABLE checkpoints (
    key        text PRIMARY KEY,
    state_json text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- A number that moves with every committed change readers cache pages from: bumped
-- once per writing statement, and visible only once that transaction commits (a
-- sequence would show a change before it is visible, a snapshot moves with any commit
-- in the cluster). Only data shown on pages bumps it: mail and sessions do not.
CREATE TABLE store_version (
    id integer PRIMARY KEY CHECK (id = 1),
    n  bigint NOT NULL
);
INSERT INTO store_version (id, n) VALUES (1, 0);

CREATE FUNCTION bump_store_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE store_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER papers_version AFTER INSERT OR UPDATE OR DELETE ON papers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
CREATE TRIGGER hf_papers_version AFTER INSERT OR UPDATE OR DELETE ON hf_papers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
