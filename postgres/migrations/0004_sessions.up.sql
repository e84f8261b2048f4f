-- Dashboard sessions: the SHA-256 of the session cookie, never the cookie.
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    csrf_token  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
