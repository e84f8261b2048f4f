-- The audit log: who did what to which entity, chained by hash per account
-- (docs/decisions.md, "The audit log"). account_id is '' for entries of no
-- account (a failed sign-in of an unknown e-mail address), so it has no
-- foreign key.
CREATE TABLE audit_log (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    actor_type  text NOT NULL,
    actor_id    text NOT NULL,
    ip          text NOT NULL,
    user_agent  text NOT NULL,
    action      text NOT NULL,
    target_id   text NOT NULL,
    detail      text NOT NULL,
    occurred_at timestamptz NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    UNIQUE (account_id, seq)
);
CREATE INDEX audit_log_account ON audit_log (account_id, id);
CREATE INDEX audit_log_time ON audit_log (occurred_at);

-- Each account's chain: its newest entry, and the anchor pruning left (the
-- last pruned entry's seq and hash). Writers lock their account's row
-- (SELECT … FOR UPDATE) until commit, so an account's entries are numbered
-- one at a time.
CREATE TABLE audit_heads (
    account_id  text COLLATE "C" PRIMARY KEY,
    seq         bigint NOT NULL,
    hash        bytea NOT NULL,
    pruned_seq  bigint NOT NULL,
    pruned_hash bytea NOT NULL
);
