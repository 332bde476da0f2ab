-- Keyword search index and stored embeddings.
-- pgvector must be installed in the database (CREATE EXTENSION needs a superuser once:
-- see docs/deployment.md); this is a no-op when it already is.
CREATE EXTENSION IF NOT EXISTS vector;

-- The full-text document of each paper, weighted title A, authors B, abstract C, in its
-- own narrow table: ranking reads only these rows, never the wide ``papers`` rows.
CREATE TABLE paper_search (
    paper_id text PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    document tsvector NOT NULL
);
CREATE INDEX paper_search_document ON paper_search USING gin (document);

-- English stemming like SQLite's porter tokenizer, and like it without a stopword list
-- (a quoted phrase keeps its small words; the search package drops them from free text).
CREATE TEXT SEARCH DICTIONARY paperfeed_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION paperfeed_english (COPY = english);
ALTER TEXT SEARCH CONFIGURATION paperfeed_english
    ALTER MAPPING REPLACE english_stem WITH paperfeed_stem;

CREATE FUNCTION paper_search_document(title text, authors text, abstract text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('paperfeed_english', coalesce(title, '')), 'A')
        || setweight(to_tsvector('paperfeed_english', coalesce(authors, '')), 'B')
        || setweight(to_tsvector('paperfeed_english', coalesce(abstract, '')), 'C')
$$;

-- Statement-level triggers keep the index in step with every writer of ``papers``: one
-- INSERT ... SELECT per batch instead of a trigger call per row. A changed title or
-- abstract also makes the paper's embeddings stale (the next ``index update`` redoes them).
CREATE FUNCTION papers_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO paper_search (paper_id, document)
    SELECT id, paper_search_document(title_text, authors_text, abstract_text) FROM new_rows
    ON CONFLICT (paper_id) DO UPDATE SET document = excluded.document;
    RETURN NULL;
END
$$;
CREATE TRIGGER papers_search_insert AFTER INSERT ON papers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION papers_search_insert();

CREATE FUNCTION papers_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO paper_search (paper_id, document)
    SELECT n.id, paper_search_document(n.title_text, n.authors_text, n.abstract_text)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (o.title_text, o.authors_text, o.abstract_text)
          IS DISTINCT FROM (n.title_text, n.authors_text, n.abstract_text)
    ON CONFLICT (paper_id) DO UPDATE SET document = excluded.document;
    DELETE FROM paper_embeddings e USING new_rows n, old_rows o
    WHERE o.id = n.id AND e.paper_id = n.id
      AND (o.title_text, o.abstract_text) IS DISTINCT FROM (n.title_text, n.abstract_text);
    RETURN NULL;
END
$$;
CREATE TRIGGER papers_search_update AFTER UPDATE ON papers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION papers_search_update();

CREATE INDEX papers_doi_lower ON papers (lower(doi)) WHERE doi IS NOT NULL;

-- Embedding generations: one per embedding model; exactly one is active.
CREATE TABLE embedding_generations (
    name         text PRIMARY KEY,
    dim          integer NOT NULL,
    active       boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    activated_at timestamptz
);
CREATE UNIQUE INDEX embedding_generations_one_active ON embedding_generations (active)
WHERE active;

-- The source of truth for semantic search: float32 vectors per paper and generation.
-- ``seq`` only grows. Each generation gets its own HNSW index over the vectors cast to
-- halfvec (half the size, same recall), created when the generation is registered.
CREATE TABLE paper_embeddings (
    seq        bigserial PRIMARY KEY,
    generation text NOT NULL REFERENCES embedding_generations (name) ON DELETE CASCADE,
    paper_id   text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    vector     vector NOT NULL,
    UNIQUE (generation, paper_id)
);
CREATE INDEX paper_embeddings_paper ON paper_embeddings (paper_id);
CREATE INDEX paper_embeddings_generation_seq ON paper_embeddings (generation, seq);

CREATE TRIGGER embedding_generations_version AFTER INSERT OR UPDATE OR DELETE
    ON embedding_generations FOR EACH STATEMENT EXECUTE FUNCTION bump_store_version();
