-- Client-side tokens: publishable, so stored as they are.
CREATE TABLE client_tokens (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    token       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT,
    status      TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    revoked_at  DATETIME,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
CREATE INDEX client_tokens_account ON client_tokens (account_id, id);
