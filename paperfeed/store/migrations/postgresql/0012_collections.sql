-- Collections: a reader's named lists of papers, each private or public, with a note
-- per paper.
--
-- Saves stay in `paper_marks` (0005), where they are trending signals: the reader's
-- "Saved" list is those rows, shown as the default list, and is always private.
-- Deleting the account deletes its lists and their entries (ON DELETE CASCADE); so
-- does forgetting the reader's personal data.
CREATE TABLE collections (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        text NOT NULL,
    name_key    text NOT NULL,                -- the name case-folded: unique per reader
    description text NOT NULL DEFAULT '',
    public      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE collection_papers (
    collection_id bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id      text NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    note          text NOT NULL DEFAULT '',
    added_at      timestamptz NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
);
CREATE INDEX collection_papers_added ON collection_papers (collection_id, added_at);
