-- name: LockAuditHead
-- The chain head of account $1, made if missing (genesis $2), locked until
-- the transaction ends: writers of one account queue here.
INSERT INTO audit_heads (account_id, seq, hash, pruned_seq, pruned_hash) VALUES ($1, 0, $2, 0, $2)
ON CONFLICT (account_id) DO UPDATE SET seq = audit_heads.seq
RETURNING seq, hash, pruned_seq, pruned_hash;

-- name: CreateAuditEntry
INSERT INTO audit_log (id, account_id, seq, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: LockAuditHeads
-- The heads of the accounts $1, locked in account order until the
-- transaction ends: runs that chain entries of the same accounts queue
-- here, and can't deadlock.
SELECT account_id, seq, hash FROM audit_heads WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE;

-- name: ChainAuditEntries
-- Gives the unchained entries $1 their seqs $2, previous hashes $3 and
-- hashes $4, and moves the heads of the accounts $5 to seqs $6 and hashes
-- $7; returns how many entries it chained. An entry chained meanwhile is
-- left as it is (and the caller, counting, rolls back).
WITH chained AS (
    UPDATE audit_log SET seq = c.seq, prev_hash = c.prev, hash = c.hash
    FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bytea[]) AS c(id, seq, prev, hash)
    WHERE audit_log.id = c.id AND audit_log.seq IS NULL
    RETURNING 1
), heads AS (
    UPDATE audit_heads SET seq = h.seq, hash = h.hash
    FROM unnest($5::text[], $6::bigint[], $7::bytea[]) AS h(account_id, seq, hash)
    WHERE audit_heads.account_id = h.account_id
)
SELECT count(*) FROM chained;

-- name: InitAuditHeads
-- The heads of those of the accounts $1 that have none (genesis $2).
INSERT INTO audit_heads (account_id, seq, hash, pruned_seq, pruned_hash)
SELECT a, 0, $2, 0, $2 FROM unnest($1::text[]) AS a ORDER BY a
ON CONFLICT (account_id) DO NOTHING;

-- name: FindUnchainedAudit
-- Up to $1 entries still unchained, by account and ID, for the sweep.
SELECT id, account_id, 0, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, ''::bytea, ''::bytea
FROM audit_log WHERE seq IS NULL ORDER BY account_id, id LIMIT $1;

-- name: FindUnchainedAmong
SELECT id FROM audit_log WHERE id = ANY($1::text[]) AND seq IS NULL;

-- name: SetAuditHead
UPDATE audit_heads SET seq = $2, hash = $3 WHERE account_id = $1;

-- name: FindAuditEntries
-- $1 account, $2 actor type or '', $3 actor ID or '', $4 JSON array of
-- actions or NULL, $5 target or '', $6 from or NULL, $7 till or NULL,
-- $8 cursor, $9 limit
-- An entry not chained yet (just committed, or left by a writer that
-- died: the sweep chains it) shows seq 0 and empty hashes.
SELECT id, account_id, coalesce(seq, 0), environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at,
    coalesce(prev_hash, ''::bytea), coalesce(hash, ''::bytea)
FROM audit_log
WHERE account_id = $1
  AND ($2::text = '' OR actor_type = $2::text)
  AND ($3::text = '' OR actor_id = $3::text)
  AND ($4::text IS NULL OR action IN (SELECT jsonb_array_elements_text($4::jsonb)))
  AND ($5::text = '' OR target_id = $5::text)
  AND ($6::timestamptz IS NULL OR occurred_at >= $6::timestamptz)
  AND ($7::timestamptz IS NULL OR occurred_at < $7::timestamptz)
  AND id {{cmp}} $8
ORDER BY id {{dir}} LIMIT $9;

-- name: CountAuditEntries
SELECT count(*) FROM (
    SELECT 1 FROM audit_log
    WHERE account_id = $1
      AND ($2::text = '' OR actor_type = $2::text)
      AND ($3::text = '' OR actor_id = $3::text)
      AND ($4::text IS NULL OR action IN (SELECT jsonb_array_elements_text($4::jsonb)))
      AND ($5::text = '' OR target_id = $5::text)
      AND ($6::timestamptz IS NULL OR occurred_at >= $6::timestamptz)
      AND ($7::timestamptz IS NULL OR occurred_at < $7::timestamptz)
    LIMIT $8
) AS capped;

-- name: FindAuditChain
-- The entries of account $1 after seq $2, in seq order, up to $3.
SELECT id, account_id, seq, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, prev_hash, hash
FROM audit_log WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3;

-- name: FindAuditHeads
SELECT account_id, seq, hash, pruned_seq, pruned_hash FROM audit_heads ORDER BY account_id;

-- name: FindAuditKeepFrom
-- The first seq of account $1 to keep: the oldest entry at or after $2.
SELECT seq FROM audit_log WHERE account_id = $1 AND occurred_at >= $2 AND seq IS NOT NULL ORDER BY seq LIMIT 1;

-- name: FindAuditHash
SELECT hash FROM audit_log WHERE account_id = $1 AND seq = $2;

-- name: PruneAuditEntries
DELETE FROM audit_log WHERE account_id = $1 AND seq <= $2;

-- name: SetAuditAnchor
UPDATE audit_heads SET pruned_seq = $2, pruned_hash = $3 WHERE account_id = $1;

