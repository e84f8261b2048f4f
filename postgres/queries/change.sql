-- name: LockChanges
-- The change lock, held until the transaction ends. Named after the schema,
-- so isolated schemas don't contend.
SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()));

-- name: RecordChange
-- A change without its seq: SequenceChanges numbers it once it commits.
INSERT INTO credential_changes (credential_id, changed_at) VALUES ($1, $2);

-- name: WriteDeferred
-- The writes a transaction deferred to its next statement or its commit,
-- in one round trip (internal/sqlstore, flushing): events ($1…$7), new
-- notifications ($8…$19 and their retry_at $33; they may be of these
-- events: foreign keys are checked at the end of the statement), audit
-- entries, unchained ($20…$30), and change rows, unnumbered ($31, $32),
-- whose ids it returns. One element
-- of each array a row. Once the writer has committed, one run numbers the
-- changes and chains the entries (afterCommit); a node's sweeps do it for a
-- writer that died first.
WITH ev AS (
    INSERT INTO events (id, account_id, environment, type, entity_id, occurred_at, data)
    SELECT id, account_id, environment, type, entity_id, occurred_at, data::json
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
        AS e(id, account_id, environment, type, entity_id, occurred_at, data)
), nt AS (
    INSERT INTO notifications (id, account_id, environment, setting_id, event_id, type, status, origin, payload, occurred_at, times_attempted, created_at, retry_at)
    SELECT id, account_id, environment, setting_id, event_id, type, status, origin, payload::json, occurred_at, times_attempted, created_at, retry_at
    FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[], $18::integer[], $19::timestamptz[], $33::timestamptz[])
        AS n(id, account_id, environment, setting_id, event_id, type, status, origin, payload, occurred_at, times_attempted, created_at, retry_at)
), audit AS (
    INSERT INTO audit_log (id, account_id, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at)
    SELECT * FROM unnest($20::text[], $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[], $28::text[], $29::text[], $30::timestamptz[])
)
INSERT INTO credential_changes (credential_id, changed_at)
SELECT c.id, c.at FROM unnest($31::text[], $32::timestamptz[]) WITH ORDINALITY AS c(id, at, n) ORDER BY c.n
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
    UPDATE credential_changes SET seq = nextval('credential_changes_seq_seq')
    WHERE seq IS NULL RETURNING credential_id
), changed AS (
    SELECT string_agg(DISTINCT credential_id, ' ') AS ids FROM numbered
)
SELECT CASE WHEN length(ids) <= 7000 THEN pg_notify('keygate_changed_ids', current_schema() || ' ' || ids) END,
    pg_notify('keygate_changes', current_schema())
FROM changed WHERE ids IS NOT NULL;

-- name: SequenceChangesOf
-- Numbers the committed change rows whose ids are $1 (those still without
-- a seq), with their notices, in a run after their writers' commits
-- (internal/sqlstore, afterCommit): the change lock is taken (the InitPlan
-- "locked", run before any number is drawn) and held until the run's
-- transaction ends, as in SequenceChanges. The rows committed before the
-- run began, so its snapshot holds them; a row another run numbered
-- meanwhile fails "seq IS NULL" when rechecked and is skipped. Only these
-- rows are read, through the primary key.
WITH locked AS (
    SELECT pg_advisory_xact_lock(hashtext('keygate-changes:' || current_schema()))
), numbered AS (
    UPDATE credential_changes SET seq = nextval('credential_changes_seq_seq')
    WHERE id = ANY($1::bigint[]) AND seq IS NULL AND EXISTS (SELECT 1 FROM locked)
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

