-- Magic-session codes (only their SHA-256), single use; and the business
-- details a seller completes on the onboarding page.
CREATE TABLE magic_codes (
    code_hash   bytea PRIMARY KEY,
    user_id     text COLLATE "C" NOT NULL REFERENCES users (id),
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);
ALTER TABLE accounts ADD COLUMN business text NOT NULL DEFAULT '{}';
