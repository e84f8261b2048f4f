-- Every SELECT returns the columns in the order sqlstore's scanAPIKey reads.

-- name: CreateAPIKey
INSERT INTO api_keys (id, account_id, environment, name, description, status, permissions,
    rotatable, legacy, secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by,
    created_at, updated_at, expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22);

-- name: UpdateAPIKey
-- last_used_at is written by TouchAPIKey only, so that a change never
-- overwrites a newer last use with the one it read.
UPDATE api_keys SET name = ?2, description = ?3, status = ?4, permissions = ?5, secret_hash = ?6,
    exposed_at = ?7, expires_at = ?8, revoked_at = ?9, revoked_by = ?10, updated_at = ?11,
    expiring_notified_at = ?12, allowed_ips = ?13, rate_limit = ?14, credits_remaining = ?15,
    credits = ?16
WHERE id = ?1;

-- name: FindAPIKeyByID
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys WHERE id = ?1;

-- name: FindAPIKeyCredential
-- What authentication reads (sqlstore's scanAPIKeyCredential), for a cache
-- miss: fewer columns, less to step through and convert.
SELECT id, account_id, environment, status, permissions, rotatable, legacy, secret_hash, expires_at,
    allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys WHERE id = ?1;

-- name: FindAPIKeyByIDForUpdate
-- SQLite has no row locks; an Update transaction holds the database's only
-- write lock (BEGIN IMMEDIATE), which serialises writers already.
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys WHERE id = ?1;

-- name: FindAPIKeyByHash
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys WHERE environment = ?1 AND secret_hash = ?2 AND legacy = 1;

-- name: FindAPIKeys
-- ?1 account, ?2 JSON array of IDs or NULL, ?3 JSON array of statuses or NULL,
-- ?4 now (a key past expires_at counts as expired), ?5 cursor, ?6 limit
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys
WHERE account_id = ?1
  AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))
  AND (?3 IS NULL OR (CASE WHEN status = 'active' AND expires_at <= ?4 THEN 'expired' ELSE status END)
       IN (SELECT value FROM json_each(?3)))
  AND id {{cmp}} ?5
ORDER BY id {{dir}} LIMIT ?6;

-- name: CountAPIKeys
SELECT count(*) FROM (
    SELECT 1 FROM api_keys
    WHERE account_id = ?1
      AND (?2 IS NULL OR id IN (SELECT value FROM json_each(?2)))
      AND (?3 IS NULL OR (CASE WHEN status = 'active' AND expires_at <= ?4 THEN 'expired' ELSE status END)
           IN (SELECT value FROM json_each(?3)))
    LIMIT ?5
);

-- name: FindRecentAPIKeys
-- ?1 now, ?2 limit: the standard keys in service that were used at least
-- once, the most recently used first: what a starting node loads into its
-- cache (auth.Config.WarmKeys). No index serves it: one scan and a sort of
-- the used keys, once per start, in the background, rather than an index
-- that every write of last uses would have to maintain.
SELECT id, account_id, environment, name, description, status, permissions, rotatable, legacy,
    secret_hash, exposed_at, expires_at, last_used_at, revoked_at, revoked_by, created_at, updated_at,
    expiring_notified_at, allowed_ips, rate_limit, credits_remaining, credits
FROM api_keys
WHERE status = 'active' AND legacy = 0 AND last_used_at IS NOT NULL
    AND (expires_at IS NULL OR expires_at > ?1)
ORDER BY last_used_at DESC LIMIT ?2;

-- name: UpdateAPIKeyCredits
-- A spend of credits: no change is recorded (nodes learn balances when they
-- share their spending, not through the change feed).
UPDATE api_keys SET credits_remaining = ?2, credits = ?3 WHERE id = ?1;
