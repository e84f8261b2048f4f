-- Exposures of API keys (Paddle's api_key_exposure): one per key and leak.
CREATE TABLE api_key_exposures (
    id           text COLLATE "C" PRIMARY KEY,
    api_key_id   text COLLATE "C" NOT NULL REFERENCES api_keys (id),
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment  text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    risk_level   text NOT NULL CHECK (risk_level IN ('high', 'low')),
    action_taken text NOT NULL CHECK (action_taken IN ('revoked', 'none')),
    source       text NOT NULL,
    reference    text NOT NULL,
    description  text,
    seen_at      timestamptz,
    created_at   timestamptz NOT NULL,
    UNIQUE (api_key_id, source, reference)
);
CREATE INDEX api_key_exposures_account ON api_key_exposures (account_id, id);

-- E-mails to an account's users about an event, whatever its destinations.
CREATE TABLE user_mails (
    id            text COLLATE "C" PRIMARY KEY,  -- event ID / user ID
    account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment   text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    recipient     text NOT NULL,
    event_id      text COLLATE "C" NOT NULL REFERENCES events (id),
    payload       text NOT NULL,
    attempts      integer NOT NULL,
    retry_at      timestamptz,
    sent_at       timestamptz,
    last_error    text NOT NULL,
    claimed_until timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX user_mails_due ON user_mails (retry_at) WHERE retry_at IS NOT NULL;
