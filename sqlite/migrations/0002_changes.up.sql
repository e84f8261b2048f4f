-- The change feed: one row per change to a credential, in commit order
-- (SQLite has one writer at a time, so rowid order is commit order).
-- Verifiers on every node poll it to drop what they cached.
CREATE TABLE credential_changes (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    credential_id TEXT NOT NULL,
    changed_at    DATETIME NOT NULL
);
