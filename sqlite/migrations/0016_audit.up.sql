-- The audit log: who did what to which entity, chained by hash per account
-- (docs/decisions.md, "The audit log"). account_id is '' for entries of no
-- account (a failed sign-in of an unknown e-mail address), so it has no
-- foreign key.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    ip          TEXT NOT NULL,
    user_agent  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    occurred_at DATETIME NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL,
    UNIQUE (account_id, seq)
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);
CREATE INDEX audit_log_time ON audit_log (occurred_at);

-- Each account's chain: its newest entry, and the anchor pruning left (the
-- last pruned entry's seq and hash). Writers lock their account's row
-- until commit, so an account's entries are numbered one at a time.
CREATE TABLE audit_heads (
    account_id  TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    pruned_seq  INTEGER NOT NULL,
    pruned_hash BLOB NOT NULL
);
