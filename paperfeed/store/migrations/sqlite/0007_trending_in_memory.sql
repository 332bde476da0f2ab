-- Trending views are ranked in memory by each serving process, fed from the ledger read
-- in `id` order (docs/decisions/0006-trending.md, the section of 2026-11-28). The durable
-- write path keeps paper_marks, the append-only ledger and one trending_scores row per
-- paper: the per-(category, paper) rank table and its five indexes go, and the ledger is
-- indexed by paper only for the rows paper_marks does not mirror.
DROP TABLE trending_rank;
DROP INDEX trending_signals_paper;

-- `mark`: the row records an upvote or save given or withdrawn (paper_marks holds each
-- paper's marks, so explaining a score reads them there). Every upvote and save in the
-- ledger so far came from paper_marks.
ALTER TABLE trending_signals ADD COLUMN mark INTEGER NOT NULL DEFAULT 0;
UPDATE trending_signals SET mark = 1 WHERE kind IN ('upvote', 'save');
CREATE INDEX trending_signals_paper ON trending_signals (paper_id) WHERE NOT mark;

-- Bumped by `paperfeed trending rebuild`, which rewrites every key without appending to
-- the ledger: a serving process that sees it change reloads its ranking.
CREATE TABLE trending_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO trending_generation (id, n) VALUES (1, 0);
