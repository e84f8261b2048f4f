-- Rotations of API keys (Paddle's api_key_rotation). Only the SHA-256 of
-- each secret is kept: the full new key exists only in the response that
-- created the rotation.
CREATE TABLE api_key_rotations (
    id                   text COLLATE "C" PRIMARY KEY,
    api_key_id           text COLLATE "C" NOT NULL REFERENCES api_keys (id),
    account_id           text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment          text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    new_hash             bytea NOT NULL,   -- SHA-256 of the new secret
    old_hash             bytea NOT NULL,   -- SHA-256 of the secret it replaces
    grace_period_seconds integer NOT NULL CHECK (grace_period_seconds BETWEEN 0 AND 86400),
    new_key_expires_at   timestamptz,
    status               text NOT NULL CHECK (status IN ('pending', 'completed', 'canceled')),
    expires_at           timestamptz,      -- when the old secret stops; set on completion
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX api_key_rotations_key ON api_key_rotations (api_key_id, id);
-- At most one pending rotation per key: a new one cancels the last.
CREATE UNIQUE INDEX api_key_rotations_pending ON api_key_rotations (api_key_id) WHERE status = 'pending';
