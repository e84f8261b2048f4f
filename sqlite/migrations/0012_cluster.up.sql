-- The one-time set-up links (only their SHA-256), in the database so that a
-- link printed by one process works in any other, once. (The shared rate
-- limit is PostgreSQL's alone: a SQLite deployment is one node.)
CREATE TABLE setup_links (
    link_hash   BLOB PRIMARY KEY,
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME,
    created_at  DATETIME NOT NULL
);
