-- Document frequencies for keyword ranking (BM25's IDF) without counting at query time:
-- counting a word's papers through the GIN index visits each of them in the table, which
-- at a million papers takes from milliseconds to seconds per word when not cached.
-- docs/decisions/0008-postgresql.md, the section of 2026-11-28 on word counts.

-- Every lexeme of the search documents and the papers holding it, as of the last
-- refresh (`ts_stat` over paper_search, about 30 s at a million papers), which
-- `paperfeed ingest` and `paperfeed index update` start once the number of papers has
-- moved by a tenth. Byte order (COLLATE "C") makes a prefix one contiguous range.
CREATE TABLE keyword_lexicon (
    lexeme text COLLATE "C" PRIMARY KEY,
    papers integer NOT NULL
);
CREATE TABLE keyword_lexicon_state (
    id           integer PRIMARY KEY CHECK (id = 1),
    papers       bigint NOT NULL,          -- papers searched at the refresh
    refreshed_at timestamptz NOT NULL
);

-- Until the first refresh, common words are sized from the planner statistics, which
-- keep ~1,000 lexemes by default (down to words in ~4% of papers); 1,000 here keeps
-- about 10,000 (down to ~0.1%). ANALYZE then samples 300,000 rows.
ALTER TABLE paper_search ALTER COLUMN document SET STATISTICS 1000;
