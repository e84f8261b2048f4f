-- name: CreateSetupLink
INSERT INTO setup_links (link_hash, environment, expires_at, created_at) VALUES ($1, $2, $3, $4);

-- name: FindSetupLink
SELECT 1 FROM setup_links WHERE link_hash = $1 AND used_at IS NULL AND expires_at > $2 AND environment = $3;

-- name: RetireSetupLinks
-- $1 now, $2 environment: uses up every unused link of the environment (it
-- is set up once). Concurrent set-ups lock the same rows in the same order,
-- so the later one finds them used when it gets them, and none returned.
UPDATE setup_links SET used_at = $1 WHERE used_at IS NULL AND environment = $2 RETURNING link_hash;
