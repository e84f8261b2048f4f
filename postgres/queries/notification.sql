-- Every SELECT of a table returns its columns in the order sqlstore scans.

-- name: CreateNotificationSetting
INSERT INTO notification_settings (id, account_id, environment, description, type, destination, active,
    api_version, include_sensitive_fields, subscribed_events, traffic_source, secret_sealed, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: UpdateNotificationSetting
UPDATE notification_settings SET description = $2, destination = $3, active = $4, api_version = $5,
    include_sensitive_fields = $6, subscribed_events = $7, traffic_source = $8, updated_at = $9
WHERE id = $1;

-- name: DeleteNotificationSetting
DELETE FROM notification_settings WHERE id = $1;

-- name: FindNotificationSettingByID
SELECT id, account_id, environment, description, type, destination, active, api_version,
    include_sensitive_fields, subscribed_events, traffic_source, secret_sealed, created_at, updated_at
FROM notification_settings WHERE id = $1;

-- name: PrefetchNotificationSettings
-- The active destinations (any traffic source) of the account of key $1,
-- the first $2 by ID: FindNotificationSettings as the event of a change to
-- that key asks it, read with the key in one round trip (internal/sqlstore,
-- findAPIKeyPipelined).
SELECT id, account_id, environment, description, type, destination, active, api_version,
    include_sensitive_fields, subscribed_events, traffic_source, secret_sealed, created_at, updated_at
FROM notification_settings
WHERE account_id = (SELECT account_id FROM api_keys WHERE id = $1) AND active
ORDER BY id ASC LIMIT $2;

-- name: FindNotificationSettings
-- $1 account, $2 active (NULL: any), $3 traffic source or '', $4 cursor, $5 limit
SELECT id, account_id, environment, description, type, destination, active, api_version,
    include_sensitive_fields, subscribed_events, traffic_source, secret_sealed, created_at, updated_at
FROM notification_settings
WHERE account_id = $1 AND ($2::boolean IS NULL OR active = $2) AND ($3 = '' OR traffic_source = $3)
  AND id {{cmp}} $4
ORDER BY id {{dir}} LIMIT $5;

-- name: CountNotificationSettings
SELECT count(*) FROM (
    SELECT 1 FROM notification_settings
    WHERE account_id = $1 AND ($2::boolean IS NULL OR active = $2) AND ($3 = '' OR traffic_source = $3) LIMIT $4
) AS capped;

-- name: CreateNotification
INSERT INTO notifications (id, account_id, environment, setting_id, event_id, type, status, origin, payload,
    occurred_at, delivered_at, replayed_at, last_attempt_at, retry_at, times_attempted, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);

-- name: UpdateNotification
-- Records an attempt, or a replay; releases the dispatcher's claim.
UPDATE notifications SET status = $2, delivered_at = $3, replayed_at = $4, last_attempt_at = $5,
    retry_at = $6, times_attempted = $7, claimed_until = NULL
WHERE id = $1;

-- name: UpdateNotificationStrict
-- UpdateNotification held back for a pipeline (internal/sqlstore,
-- pipeline.go): no notification $1 is a division by zero, which the store
-- answers not_found (see UpdateAPIKeyStrict).
WITH updated AS (
    UPDATE notifications SET status = $2, delivered_at = $3, replayed_at = $4, last_attempt_at = $5,
        retry_at = $6, times_attempted = $7, claimed_until = NULL
    WHERE id = $1
    RETURNING 1
)
SELECT 1 / count(*) FROM updated;

-- name: FindNotificationByID
SELECT id, account_id, environment, setting_id, event_id, type, status, origin, payload, occurred_at,
    delivered_at, replayed_at, last_attempt_at, retry_at, times_attempted, created_at
FROM notifications WHERE id = $1;

-- name: FindNotifications
-- $1 account, $2 setting ID or '', $3 JSON array of statuses or NULL, $4 cursor, $5 limit
SELECT id, account_id, environment, setting_id, event_id, type, status, origin, payload, occurred_at,
    delivered_at, replayed_at, last_attempt_at, retry_at, times_attempted, created_at
FROM notifications
WHERE account_id = $1 AND ($2 = '' OR setting_id = $2)
  AND ($3::text IS NULL OR status IN (SELECT jsonb_array_elements_text($3::jsonb)))
  AND id {{cmp}} $4
ORDER BY id {{dir}} LIMIT $5;

-- name: CountNotifications
SELECT count(*) FROM (
    SELECT 1 FROM notifications
    WHERE account_id = $1 AND ($2 = '' OR setting_id = $2)
      AND ($3::text IS NULL OR status IN (SELECT jsonb_array_elements_text($3::jsonb)))
    LIMIT $4
) AS capped;

-- name: ClaimNotifications
-- $1 now, $2 the claim's end, $3 limit, $4 a JSON array of setting IDs to
-- skip (destinations with as many deliveries in flight as they may have).
-- SKIP LOCKED: nodes claiming at once take different rows, and none waits
-- for another.
UPDATE notifications SET claimed_until = $2
WHERE id IN (
    SELECT id FROM notifications
    WHERE status IN ('not_attempted', 'needs_retry') AND retry_at <= $1
      AND (claimed_until IS NULL OR claimed_until <= $1)
      AND setting_id NOT IN (SELECT jsonb_array_elements_text($4::jsonb))
    ORDER BY retry_at LIMIT $3
    FOR UPDATE SKIP LOCKED
)
RETURNING id, account_id, environment, setting_id, event_id, type, status, origin, payload, occurred_at,
    delivered_at, replayed_at, last_attempt_at, retry_at, times_attempted, created_at;

-- name: CreateNotificationLog
INSERT INTO notification_logs (id, notification_id, account_id, response_code, response_content_type, response_body, attempted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: FindNotificationLogs
-- $1 notification, $2 cursor, $3 limit
SELECT id, notification_id, account_id, response_code, response_content_type, response_body, attempted_at
FROM notification_logs WHERE notification_id = $1 AND id {{cmp}} $2
ORDER BY id {{dir}} LIMIT $3;

-- name: CountNotificationLogs
SELECT count(*) FROM (SELECT 1 FROM notification_logs WHERE notification_id = $1 LIMIT $2) AS capped;

-- name: FindEventByID
SELECT id, account_id, environment, type, entity_id, occurred_at, data FROM events WHERE id = $1;

-- name: FindAPIKeysExpiryDue
-- $1 now, $2 now + the notice period, $3 limit: active keys whose expiring
-- notice or expiry is due.
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys
WHERE status = 'active' AND expires_at <= $2 AND (expiring_notified_at IS NULL OR expires_at <= $1)
ORDER BY expires_at LIMIT $3
-- SKIP LOCKED: a key being written elsewhere waits for the next run, so
-- this multi-row lock never waits and can't take part in a deadlock with
-- last-use writes, which lock in ID order.
FOR UPDATE SKIP LOCKED;
