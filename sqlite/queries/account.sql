-- name: CreateAccount
INSERT INTO accounts (id, environment, name, created_at, updated_at, partner_id)
VALUES (?1, ?2, ?3, ?4, ?5, ?6);

-- name: FindAccountByID
SELECT id, environment, name, created_at, updated_at, partner_id FROM accounts WHERE id = ?1;

-- name: FindAccounts
-- ?1 environment or NULL, ?2 cursor, ?3 limit
SELECT id, environment, name, created_at, updated_at, partner_id FROM accounts
WHERE (?1 IS NULL OR environment = ?1) AND id {{cmp}} ?2
ORDER BY id {{dir}} LIMIT ?3;

-- name: CountAccounts
SELECT count(*) FROM (
    SELECT 1 FROM accounts WHERE (?1 IS NULL OR environment = ?1) LIMIT ?2
);
