-- name: LockChanges
-- Taken at commit only, held until the transaction ends: the sequence
-- numbers of the feed are drawn under it, so seq order is commit order
-- (docs/decisions.md). Named after the schema, so isolated schemas don't
-- contend.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));

-- name: LockAndRecordChanges
-- LockChanges and RecordChange in one round trip, for $1 IDs and $2 times:
-- each row's seq (the column default, projected over the join) is drawn
-- only once the lock's one row exists, so after the lock is held.
INSERT INTO credential_changes (credential_id, changed_at)
SELECT c.id, c.at
FROM (SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()))) AS l,
    unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS c(id, at, n)
ORDER BY c.n;

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
