-- Partners, who create seller accounts by API, and the keys that belong to
-- a user rather than to an account (Paddle's user_api_key).
CREATE TABLE partners (
    id              text COLLATE "C" PRIMARY KEY,
    environment     text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name            text NOT NULL,
    allowed_domains text NOT NULL,   -- JSON array of host names
    key_id          text COLLATE "C" NOT NULL UNIQUE,
    key_hash        bytea NOT NULL,  -- SHA-256 of the partner key's secret
    created_at      timestamptz NOT NULL
);
ALTER TABLE accounts ADD COLUMN partner_id text NOT NULL DEFAULT '';
CREATE TABLE user_api_keys (
    api_key_id text COLLATE "C" PRIMARY KEY REFERENCES api_keys (id),
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id)
);
