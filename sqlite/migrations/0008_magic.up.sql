-- Magic-session codes (only their SHA-256), single use; and the business
-- details a seller completes on the onboarding page.
CREATE TABLE magic_codes (
    code_hash   BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    environment TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    expires_at  DATETIME NOT NULL,
    used_at     DATETIME,
    created_at  DATETIME NOT NULL
);
ALTER TABLE accounts ADD COLUMN business TEXT NOT NULL DEFAULT '{}';
