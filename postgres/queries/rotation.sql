-- Every SELECT returns the columns in the order sqlstore's scanRotation reads.

-- name: CreateAPIKeyRotation
INSERT INTO api_key_rotations (id, api_key_id, account_id, environment, new_hash, old_hash,
    grace_period_seconds, new_key_expires_at, status, expires_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12);

-- name: UpdateAPIKeyRotation
UPDATE api_key_rotations SET status = $2, expires_at = $3, updated_at = $4 WHERE id = $1;

-- name: FindAPIKeyRotationByID
SELECT id, api_key_id, account_id, environment, new_hash, old_hash, grace_period_seconds,
    new_key_expires_at, status, expires_at, created_at, updated_at
FROM api_key_rotations WHERE id = $1;

-- name: FindLiveAPIKeyRotations
SELECT id, api_key_id, account_id, environment, new_hash, old_hash, grace_period_seconds,
    new_key_expires_at, status, expires_at, created_at, updated_at
FROM api_key_rotations
WHERE api_key_id = $1 AND (status = 'pending' OR (status = 'completed' AND expires_at > $2))
ORDER BY id;

-- name: FindAPIKeyRotations
-- $1 key, $2 JSON array of IDs or NULL, $3 cursor, $4 limit
SELECT id, api_key_id, account_id, environment, new_hash, old_hash, grace_period_seconds,
    new_key_expires_at, status, expires_at, created_at, updated_at
FROM api_key_rotations
WHERE api_key_id = $1
  AND ($2::text IS NULL OR id IN (SELECT jsonb_array_elements_text($2::jsonb)))
  AND id {{cmp}} $3
ORDER BY id {{dir}} LIMIT $4;

-- name: CountAPIKeyRotations
SELECT count(*) FROM (
    SELECT 1 FROM api_key_rotations
    WHERE api_key_id = $1 AND ($2::text IS NULL OR id IN (SELECT jsonb_array_elements_text($2::jsonb))) LIMIT $3
) AS matching;
