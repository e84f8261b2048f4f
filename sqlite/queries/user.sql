-- name: CreateUser
INSERT INTO users (id, account_id, environment, email, password_hash, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);

-- name: FindUserByEmail
SELECT id, account_id, environment, email, password_hash, created_at, updated_at
FROM users WHERE environment = ?1 AND email = ?2;
