-- keygate's first schema. IDs use the "C" collation so that they sort by
-- byte, as in SQLite, whatever the database's locale: keyset pagination and
-- "IDs sort by creation time" depend on it.

CREATE TABLE accounts (
    id          text COLLATE "C" PRIMARY KEY,
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX accounts_environment ON accounts (environment, id);

CREATE TABLE users (
    id            text COLLATE "C" PRIMARY KEY,
    account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment   text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    email         text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (environment, email)
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment  text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    name         text NOT NULL,
    description  text,
    status       text NOT NULL CHECK (status IN ('active', 'expired', 'revoked')),
    permissions  text,                   -- JSON array; NULL for legacy keys
    rotatable    boolean NOT NULL,
    legacy       boolean NOT NULL,
    secret_hash  bytea NOT NULL,         -- SHA-256 of the secret; never the secret
    exposed_at   timestamptz,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text NOT NULL DEFAULT '' CHECK (revoked_by IN ('', 'user', 'system')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);
-- Legacy keys carry no ID and are found by the hash of the whole key.
CREATE UNIQUE INDEX api_keys_legacy_hash ON api_keys (environment, secret_hash) WHERE legacy;

CREATE TABLE events (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    type        text NOT NULL,
    entity_id   text COLLATE "C" NOT NULL,
    occurred_at timestamptz NOT NULL,
    data        json NOT NULL            -- the entity as the API showed it; json keeps its key order
);
CREATE INDEX events_account ON events (account_id, id);
CREATE INDEX events_entity ON events (entity_id, id);
