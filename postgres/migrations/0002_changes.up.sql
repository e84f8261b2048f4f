-- The change feed: one row per change to a credential. Writers take an
-- advisory lock (see sqlstore's changeLock) before their first write to a
-- credential and hold it to commit, so seq order is commit order and a
-- poller reading "seq > n" can never skip a change that commits late.
CREATE TABLE credential_changes (
    seq           bigserial PRIMARY KEY,
    credential_id text COLLATE "C" NOT NULL,
    changed_at    timestamptz NOT NULL
);
