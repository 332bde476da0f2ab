-- Keyword search index and stored embeddings (filled by the search capability).

-- A stable integer key per paper for the full-text index. ``papers`` has no INTEGER
-- PRIMARY KEY, so its implicit rowid may change on VACUUM; this table's key never does.
CREATE TABLE search_docs (
    docid    INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL UNIQUE REFERENCES papers (id) ON DELETE CASCADE
);

-- Contentless FTS5 index over the plain-text renderings (the text lives in ``papers``
-- only once). Porter stemming over unicode61 with diacritics folded.
CREATE VIRTUAL TABLE papers_fts USING fts5 (
    title, authors, abstract,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- Default ranking: BM25 with title > authors > abstract.
INSERT INTO papers_fts (papers_fts, rank) VALUES ('rank', 'bm25(8.0, 4.0, 1.0)');

-- Per-term document counts, for dropping very common query terms.
CREATE VIRTUAL TABLE papers_fts_vocab USING fts5vocab (papers_fts, 'row');

-- Triggers keep the index in step with every writer of ``papers``. A contentless
-- index forgets a row only when given its old values, which the triggers have.
CREATE TRIGGER papers_search_insert AFTER INSERT ON papers BEGIN
    INSERT INTO search_docs (paper_id) VALUES (new.id);
    INSERT INTO papers_fts (rowid, title, authors, abstract)
    SELECT docid, new.title_text, new.authors_text, new.abstract_text
    FROM search_docs WHERE paper_id = new.id;
END;

CREATE TRIGGER papers_search_update AFTER UPDATE OF title_text, authors_text, abstract_text
ON papers
WHEN old.title_text IS NOT new.title_text
  OR old.authors_text IS NOT new.authors_text
  OR old.abstract_text IS NOT new.abstract_text
BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
    SELECT 'delete', docid, old.title_text, old.authors_text, old.abstract_text
    FROM search_docs WHERE paper_id = old.id;
    INSERT INTO papers_fts (rowid, title, authors, abstract)
    SELECT docid, new.title_text, new.authors_text, new.abstract_text
    FROM search_docs WHERE paper_id = new.id;
END;

-- A changed title or abstract makes the paper's embeddings stale: drop them so the next
-- ``index update`` embeds the new text.
CREATE TRIGGER papers_embeddings_stale AFTER UPDATE OF title_text, abstract_text ON papers
WHEN old.title_text IS NOT new.title_text OR old.abstract_text IS NOT new.abstract_text
BEGIN
    DELETE FROM paper_embeddings WHERE paper_id = new.id;
END;

CREATE TRIGGER papers_search_delete BEFORE DELETE ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
    SELECT 'delete', docid, old.title_text, old.authors_text, old.abstract_text
    FROM search_docs WHERE paper_id = old.id;
END;

-- Embedding generations: one per embedding model; exactly one is active (serves queries).
CREATE TABLE embedding_generations (
    name       TEXT PRIMARY KEY,
    dim        INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    activated_at TEXT
);
CREATE UNIQUE INDEX embedding_generations_one_active ON embedding_generations (active)
WHERE active = 1;

-- The source of truth for semantic search: vectors (float32, little-endian) per paper and
-- generation. ``seq`` only grows, so an index knows which rows it has not seen yet.
CREATE TABLE paper_embeddings (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    generation TEXT NOT NULL REFERENCES embedding_generations (name) ON DELETE CASCADE,
    paper_id   TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    vector     BLOB NOT NULL,
    UNIQUE (generation, paper_id)
);
CREATE INDEX paper_embeddings_paper ON paper_embeddings (paper_id);
CREATE INDEX paper_embeddings_generation_seq ON paper_embeddings (generation, seq);
