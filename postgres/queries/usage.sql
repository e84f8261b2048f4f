-- name: AddAPIKeyUsage
-- $1 key, $2 the hour, $3 requests to add. A key that no longer exists is
-- skipped by the SELECT.
INSERT INTO api_key_usage (api_key_id, hour, requests)
SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = $1)
ON CONFLICT (api_key_id, hour) DO UPDATE SET requests = api_key_usage.requests + excluded.requests;

-- name: FindAPIKeyUsage
-- $1 key, $2 since (inclusive)
SELECT hour, requests FROM api_key_usage WHERE api_key_id = $1 AND hour >= $2 ORDER BY hour;
