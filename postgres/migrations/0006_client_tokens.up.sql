-- Client-side tokens: publishable, so stored as they are.
CREATE TABLE client_tokens (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    token       text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text,
    status      text NOT NULL CHECK (status IN ('active', 'revoked')),
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX client_tokens_account ON client_tokens (account_id, id);
