-- Keyword search moves out of SQLite into an index beside the database (decision 0003):
-- FTS5 scored every row an OR query matched, which made common-word queries slow. The
-- store keeps only a change log: triggers append a paper's id whenever what the keyword
-- index holds of it (text, categories, dates) is written, and when it is deleted. The
-- index applies the log in ``seq`` order and remembers how far it got.
DROP TRIGGER IF EXISTS papers_search_insert;
DROP TRIGGER IF EXISTS papers_search_update;
DROP TRIGGER IF EXISTS papers_search_delete;
DROP TABLE IF EXISTS papers_fts_vocab;
DROP TABLE IF EXISTS papers_fts;
DROP TABLE IF EXISTS search_docs;

-- ``seq`` is the rowid: the next one is always above the largest, and rows are only
-- appended, so it only grows (without AUTOINCREMENT's extra write per row).
CREATE TABLE keyword_changes (
    seq      INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL
);

-- Papers stored before this migration are all "changed": a new index takes them in.
INSERT INTO keyword_changes (paper_id) SELECT id FROM papers ORDER BY id;

CREATE TRIGGER keyword_change_insert AFTER INSERT ON papers BEGIN
    INSERT INTO keyword_changes (paper_id) VALUES (new.id);
END;

CREATE TRIGGER keyword_change_update
AFTER UPDATE OF title_text, authors_text, abstract_text, categories_json, announced, published
ON papers
WHEN old.title_text IS NOT new.title_text
  OR old.authors_text IS NOT new.authors_text
  OR old.abstract_text IS NOT new.abstract_text
  OR old.categories_json IS NOT new.categories_json
  OR old.announced IS NOT new.announced
  OR old.published IS NOT new.published
BEGIN
    INSERT INTO keyword_changes (paper_id) VALUES (new.id);
END;

CREATE TRIGGER keyword_change_delete AFTER DELETE ON papers BEGIN
    INSERT INTO keyword_changes (paper_id) VALUES (old.id);
END;
