-- name: CreateSession
INSERT INTO sessions (token_hash, user_id, account_id, environment, csrf_token, expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: FindSession
-- $1 token hash, $2 now: an expired session is not found.
SELECT token_hash, user_id, account_id, environment, csrf_token, expires_at, created_at
FROM sessions WHERE token_hash = $1 AND expires_at > $2;

-- name: DeleteSession
DELETE FROM sessions WHERE token_hash = $1;

-- name: DeleteExpiredSessions
DELETE FROM sessions WHERE expires_at <= $1;

-- name: CountUsers
SELECT count(*) FROM users WHERE $1 = '' OR environment = $1;

-- name: FindUserByID
SELECT id, account_id, environment, email, password_hash, created_at, updated_at FROM users WHERE id = $1;
