-- A TL;DR and keywords per paper, computed locally from its title and abstract
-- (paperfeed.summaries). model_version names the model that wrote them and
-- content_hash the paper's content_hash they were computed from: a row whose model or
-- paper changed since is recomputed by the next ingest or `paperfeed index update`.
CREATE TABLE paper_summaries (
    paper_id      TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    tldr          TEXT NOT NULL,
    keywords_json TEXT NOT NULL DEFAULT '[]',
    model_version TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    computed_at   TEXT NOT NULL
) WITHOUT ROWID;
