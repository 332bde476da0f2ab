-- Collections: a reader's named lists of papers, each private or public, with a note
-- per paper.
--
-- Saves stay in `paper_marks` (0005), where they are trending signals: the reader's
-- "Saved" list is those rows, shown as the default list, and is always private.
-- Deleting the account deletes its lists and their entries (ON DELETE CASCADE); so
-- does forgetting the reader's personal data.
CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,                -- the name case-folded: unique per reader
    description TEXT NOT NULL DEFAULT '',
    public      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE collection_papers (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    paper_id      TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    note          TEXT NOT NULL DEFAULT '',
    added_at      TEXT NOT NULL,
    PRIMARY KEY (collection_id, paper_id)
) WITHOUT ROWID;
CREATE INDEX collection_papers_added ON collection_papers (collection_id, added_at);
