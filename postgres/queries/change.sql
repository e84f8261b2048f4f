-- name: LockChanges
-- The change lock, held until the transaction ends. Named after the schema,
-- so isolated schemas don't contend.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));

-- name: RecordChange
-- A change without its seq: SequenceChanges numbers it once it commits.
INSERT INTO credential_changes (credential_id, changed_at) VALUES ($1, $2);

-- name: RecordChanges
-- RecordChange for $1 IDs and $2 times, in one round trip; returns the
-- rows' ids, for SequenceChangesOf.
INSERT INTO credential_changes (credential_id, changed_at)
SELECT c.id, c.at FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS c(id, at, n) ORDER BY c.n
RETURNING id;

-- name: NotifyChange
-- Delivered at commit to every node that LISTENs, to poll the feed at once.
SELECT pg_notify('keygate_changes', current_schema());

-- name: SequenceChanges
-- Run after a writer commits, as one simple-protocol query, so one implicit
-- transaction: take the change lock, then (in a new snapshot, taken once
-- the lock is held) number every committed change still without a seq, and
-- notify the listening nodes if there was one: on keygate_changed_ids with
-- the credentials' IDs (if they fit well within a notice's 8000 bytes),
-- which nodes forget at once, then on keygate_changes, which has them read
-- the feed. The lock is released only after this transaction's commit is
-- visible, so each run's numbers are above every earlier run's, and visible
-- no earlier than theirs.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));
WITH numbered AS (
    UPDATE credential_changes SET seq = nextval(pg_get_serial_sequence('credential_changes', 'seq'))
    WHERE seq IS NULL RETURNING credential_id
), changed AS (
    SELECT string_agg(DISTINCT credential_id, ' ') AS ids FROM numbered
)
SELECT CASE WHEN length(ids) <= 7000 THEN pg_notify('keygate_changed_ids', current_schema() || ' ' || ids) END,
    pg_notify('keygate_changes', current_schema())
FROM changed WHERE ids IS NOT NULL;

-- name: SequenceChangesOf
-- SequenceChanges (with its notices) for a writer whose rows are /*ids*/0
-- (replaced by their ids, integers the store itself got back): once it
-- holds the lock, it numbers anything only if its own rows are still
-- unnumbered. Writers waiting for the lock mostly find their rows
-- numbered by the holder before them, and then end without writing (nor
-- waiting for a WAL flush): one flush numbers a whole queue of writers.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));
WITH numbered AS (
    UPDATE credential_changes SET seq = nextval(pg_get_serial_sequence('credential_changes', 'seq'))
    WHERE seq IS NULL AND EXISTS (SELECT 1 FROM credential_changes WHERE seq IS NULL AND id IN (/*ids*/0))
    RETURNING credential_id
), changed AS (
    SELECT string_agg(DISTINCT credential_id, ' ') AS ids FROM numbered
)
SELECT CASE WHEN length(ids) <= 7000 THEN pg_notify('keygate_changed_ids', current_schema() || ' ' || ids) END,
    pg_notify('keygate_changes', current_schema())
FROM changed WHERE ids IS NOT NULL;

-- name: HasUnsequencedChanges
SELECT EXISTS (SELECT 1 FROM credential_changes WHERE seq IS NULL);

-- name: FindChanges
SELECT seq, credential_id, changed_at FROM credential_changes WHERE seq > $1 ORDER BY seq LIMIT $2;

-- name: LastChangeSeq
SELECT coalesce(max(seq), 0) FROM credential_changes;

-- name: TouchAPIKey
UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2);
