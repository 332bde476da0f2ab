-- trending_scores becomes a snapshot of the ledger, folded in every few dozen thousand
-- signals instead of rewritten with every batch (each batch rewrote ~900 random pages
-- of it). trending_fold holds the last ledger id the snapshot includes; readers add
-- the ledger rows past it themselves. No row: nothing folded yet. Until now the scores
-- followed the ledger, so they include all of it.
CREATE TABLE trending_fold (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO trending_fold (id, seq) SELECT 1, max(id) FROM trending_signals HAVING count(*) > 0;
