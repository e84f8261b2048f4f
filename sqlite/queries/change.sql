-- name: LockChanges
-- SQLite's writer holds the database's only write lock already.
SELECT 1;

-- name: RecordChange
INSERT INTO credential_changes (credential_id, changed_at) VALUES (?1, ?2);

-- name: NotifyChange
SELECT 1;

-- name: FindChanges
SELECT seq, credential_id, changed_at FROM credential_changes WHERE seq > ?1 ORDER BY seq LIMIT ?2;

-- name: LastChangeSeq
SELECT coalesce(max(seq), 0) FROM credential_changes;

-- name: TouchAPIKey
UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2);
