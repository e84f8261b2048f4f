-- name: CreateAPIKeyExposure
INSERT INTO api_key_exposures (id, api_key_id, account_id, environment, risk_level, action_taken, source, reference, description, seen_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: FindAPIKeyExposure
SELECT id, api_key_id, account_id, environment, risk_level, action_taken, source, reference, description, seen_at, created_at
FROM api_key_exposures WHERE api_key_id = $1 AND source = $2 AND reference = $3;

-- name: FindAPIKeyExposures
-- $1 account, $2 key or '', $3 cursor, $4 limit
SELECT id, api_key_id, account_id, environment, risk_level, action_taken, source, reference, description, seen_at, created_at
FROM api_key_exposures
WHERE account_id = $1 AND ($2::text = '' OR api_key_id = $2::text) AND id {{cmp}} $3
ORDER BY id {{dir}} LIMIT $4;

-- name: CountAPIKeyExposures
SELECT count(*) FROM (
    SELECT 1 FROM api_key_exposures WHERE account_id = $1 AND ($2::text = '' OR api_key_id = $2::text) LIMIT $3
) AS capped;

-- name: CountUnseenExposures
SELECT count(*) FROM api_key_exposures WHERE account_id = $1 AND risk_level = $2 AND seen_at IS NULL;

-- name: MarkExposuresSeen
UPDATE api_key_exposures SET seen_at = $2 WHERE api_key_id = $1 AND seen_at IS NULL;

-- name: CreateUserMails
-- $1 event, $2 account, $3 environment, $4 payload, $5 now
INSERT INTO user_mails (id, account_id, environment, recipient, event_id, payload, attempts, retry_at, sent_at, last_error, claimed_until, created_at)
SELECT $1::text || '/' || id, $2::text, $3::text, email, $1::text, $4::text, 0, $5::timestamptz, NULL, '', NULL, $5::timestamptz
FROM users WHERE account_id = $2::text
ON CONFLICT (id) DO NOTHING;

-- name: ClaimUserMails
-- $1 now, $2 the claim's end, $3 limit
UPDATE user_mails SET claimed_until = $2
WHERE id IN (
    SELECT id FROM user_mails
    WHERE retry_at IS NOT NULL AND retry_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
    ORDER BY retry_at LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING id, account_id, environment, recipient, event_id, payload, attempts, retry_at, sent_at, last_error, created_at;

-- name: UpdateUserMail
UPDATE user_mails SET attempts = $2, retry_at = $3, sent_at = $4, last_error = $5, claimed_until = NULL WHERE id = $1;
