-- Runs once, as the superuser, when the database volume is first created.
CREATE EXTENSION IF NOT EXISTS vector;
