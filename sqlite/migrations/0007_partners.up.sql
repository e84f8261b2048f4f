-- Partners, who create seller accounts by API, and the keys that belong to
-- a user rather than to an account (Paddle's user_api_key).
CREATE TABLE partners (
    id              TEXT PRIMARY KEY,
    environment     TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name            TEXT NOT NULL,
    allowed_domains TEXT NOT NULL,   -- JSON array of host names
    key_id          TEXT NOT NULL UNIQUE,
    key_hash        BLOB NOT NULL,   -- SHA-256 of the partner key's secret
    created_at      DATETIME NOT NULL
);
ALTER TABLE accounts ADD COLUMN partner_id TEXT NOT NULL DEFAULT '';
CREATE TABLE user_api_keys (
    api_key_id TEXT PRIMARY KEY REFERENCES api_keys (id),
    user_id    TEXT NOT NULL REFERENCES users (id)
);
