-- name: CreateClientToken
INSERT INTO client_tokens (id, account_id, environment, token, name, description, status, revoked_at, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10);

-- name: UpdateClientToken
UPDATE client_tokens SET name = ?2, description = ?3, status = ?4, revoked_at = ?5, updated_at = ?6 WHERE id = ?1;

-- name: FindClientTokenByID
SELECT id, account_id, environment, token, name, description, status, revoked_at, created_at, updated_at
FROM client_tokens WHERE id = ?1;

-- name: FindClientTokenByToken
SELECT id, account_id, environment, token, name, description, status, revoked_at, created_at, updated_at
FROM client_tokens WHERE token = ?1;

-- name: FindClientTokens
-- ?1 account, ?2 JSON array of statuses or NULL, ?3 cursor, ?4 limit
SELECT id, account_id, environment, token, name, description, status, revoked_at, created_at, updated_at
FROM client_tokens
WHERE account_id = ?1 AND (?2 IS NULL OR status IN (SELECT value FROM json_each(?2))) AND id {{cmp}} ?3
ORDER BY id {{dir}} LIMIT ?4;

-- name: CountClientTokens
SELECT count(*) FROM (
    SELECT 1 FROM client_tokens
    WHERE account_id = ?1 AND (?2 IS NULL OR status IN (SELECT value FROM json_each(?2))) LIMIT ?3
);
