-- A TL;DR and keywords per paper, computed locally from its title and abstract
-- (paperfeed.summaries). model_version names the model that wrote them and
-- content_hash the paper's content_hash they were computed from: a row whose model or
-- paper changed since is recomputed by the next ingest or `paperfeed index update`.
CREATE TABLE paper_summaries (
    paper_id      text COLLATE "C" PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    tldr          text NOT NULL,
    keywords_json text NOT NULL DEFAULT '[]',
    model_version text NOT NULL,
    content_hash  text NOT NULL,
    computed_at   timestamptz NOT NULL
);
