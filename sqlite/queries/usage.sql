-- name: AddAPIKeyUsage
-- ?1 key, ?2 the hour, ?3 requests to add, ?4 refusals (forbidden) to add. A key that no longer exists is
-- skipped by the SELECT.
INSERT INTO api_key_usage (api_key_id, hour, requests, forbidden)
SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)
ON CONFLICT (api_key_id, hour) DO UPDATE SET requests = requests + excluded.requests,
    forbidden = forbidden + excluded.forbidden;

-- name: FindAPIKeyUsage
-- ?1 key, ?2 since (inclusive)
SELECT hour, requests, forbidden FROM api_key_usage WHERE api_key_id = ?1 AND hour >= ?2 ORDER BY hour;
