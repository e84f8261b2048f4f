-- name: CreatePartner
INSERT INTO partners (id, environment, name, allowed_domains, key_id, key_hash, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);

-- name: FindPartnerByID
SELECT id, environment, name, allowed_domains, key_id, key_hash, created_at FROM partners WHERE id = ?1;

-- name: FindPartnerByKeyID
SELECT id, environment, name, allowed_domains, key_id, key_hash, created_at FROM partners WHERE key_id = ?1;

-- name: LinkUserAPIKey
INSERT INTO user_api_keys (api_key_id, user_id) VALUES (?1, ?2);

-- name: FindUserOfAPIKey
SELECT u.id, u.account_id, u.environment, u.email, u.password_hash, u.created_at, u.updated_at
FROM user_api_keys k JOIN users u ON u.id = k.user_id WHERE k.api_key_id = ?1;
