-- name: LockChanges
-- Held until commit: serialises the writers of credentials so that seq order
-- is commit order. Named after the schema, so isolated schemas don't contend.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));

-- name: RecordChange
INSERT INTO credential_changes (credential_id, changed_at) VALUES ($1, $2);

-- name: NotifyChange
-- Delivered at commit to every node that LISTENs, to poll the feed at once.
SELECT pg_notify('keygate_changes', current_schema());

-- name: FindChanges
SELECT seq, credential_id, changed_at FROM credential_changes WHERE seq > $1 ORDER BY seq LIMIT $2;

-- name: LastChangeSeq
SELECT coalesce(max(seq), 0) FROM credential_changes;

-- name: TouchAPIKey
UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2);
