-- Exposures of API keys (Paddle's api_key_exposure): one per key and leak.
CREATE TABLE api_key_exposures (
    id           TEXT PRIMARY KEY,
    api_key_id   TEXT NOT NULL REFERENCES api_keys (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    environment  TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    risk_level   TEXT NOT NULL CHECK (risk_level IN ('high', 'low')),
    action_taken TEXT NOT NULL CHECK (action_taken IN ('revoked', 'none')),
    source       TEXT NOT NULL,
    reference    TEXT NOT NULL,
    description  TEXT,
    seen_at      DATETIME,
    created_at   DATETIME NOT NULL,
    UNIQUE (api_key_id, source, reference)
);
CREATE INDEX api_key_exposures_account ON api_key_exposures (account_id, id);

-- E-mails to an account's users about an event, whatever its destinations.
CREATE TABLE user_mails (
    id            TEXT PRIMARY KEY,          -- event ID / user ID
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    environment   TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    recipient     TEXT NOT NULL,
    event_id      TEXT NOT NULL REFERENCES events (id),
    payload       TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    retry_at      DATETIME,
    sent_at       DATETIME,
    last_error    TEXT NOT NULL,
    claimed_until DATETIME,
    created_at    DATETIME NOT NULL
);
CREATE INDEX user_mails_due ON user_mails (retry_at) WHERE retry_at IS NOT NULL;
