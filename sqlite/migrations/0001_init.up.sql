-- keygate's first schema. Times are DATETIME text in UTC, written by the
-- driver as "2006-01-02 15:04:05.999999999+00:00", which sorts lexically.

CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX accounts_environment ON accounts (environment, id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    environment   TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    UNIQUE (environment, email)
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    environment  TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name         TEXT NOT NULL,
    description  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('active', 'expired', 'revoked')),
    permissions  TEXT,                   -- JSON array; NULL for legacy keys
    rotatable    INTEGER NOT NULL,
    legacy       INTEGER NOT NULL,
    secret_hash  BLOB NOT NULL,          -- SHA-256 of the secret; never the secret
    exposed_at   DATETIME,
    expires_at   DATETIME,
    last_used_at DATETIME,
    revoked_at   DATETIME,
    revoked_by   TEXT NOT NULL DEFAULT '' CHECK (revoked_by IN ('', 'user', 'system')),
    created_at   DATETIME NOT NULL,
    updated_at   DATETIME NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);
-- Legacy keys carry no ID and are found by the hash of the whole key.
CREATE UNIQUE INDEX api_keys_legacy_hash ON api_keys (environment, secret_hash) WHERE legacy = 1;

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    type        TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    occurred_at DATETIME NOT NULL,
    data        TEXT NOT NULL            -- the entity as the API showed it
);
CREATE INDEX events_account ON events (account_id, id);
CREATE INDEX events_entity ON events (entity_id, id);
