-- name: LockAuditHead
-- The chain head of account ?1, made if missing (genesis ?2); SQLite's
-- writer holds the database's only write lock already.
INSERT INTO audit_heads (account_id, seq, hash, pruned_seq, pruned_hash) VALUES (?1, 0, ?2, 0, ?2)
ON CONFLICT (account_id) DO UPDATE SET seq = audit_heads.seq
RETURNING seq, hash, pruned_seq, pruned_hash;

-- name: CreateAuditEntry
INSERT INTO audit_log (id, account_id, seq, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, prev_hash, hash)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14);

-- name: SetAuditHead
UPDATE audit_heads SET seq = ?2, hash = ?3 WHERE account_id = ?1;

-- name: FindAuditEntries
-- ?1 account, ?2 actor type or '', ?3 actor ID or '', ?4 JSON array of
-- actions or NULL, ?5 target or '', ?6 from or NULL, ?7 till or NULL,
-- ?8 cursor, ?9 limit
SELECT id, account_id, seq, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, prev_hash, hash
FROM audit_log
WHERE account_id = ?1
  AND (?2 = '' OR actor_type = ?2)
  AND (?3 = '' OR actor_id = ?3)
  AND (?4 IS NULL OR action IN (SELECT value FROM json_each(?4)))
  AND (?5 = '' OR target_id = ?5)
  AND (?6 IS NULL OR occurred_at >= ?6)
  AND (?7 IS NULL OR occurred_at < ?7)
  AND id {{cmp}} ?8
ORDER BY id {{dir}} LIMIT ?9;

-- name: CountAuditEntries
SELECT count(*) FROM (
    SELECT 1 FROM audit_log
    WHERE account_id = ?1
      AND (?2 = '' OR actor_type = ?2)
      AND (?3 = '' OR actor_id = ?3)
      AND (?4 IS NULL OR action IN (SELECT value FROM json_each(?4)))
      AND (?5 = '' OR target_id = ?5)
      AND (?6 IS NULL OR occurred_at >= ?6)
      AND (?7 IS NULL OR occurred_at < ?7)
    LIMIT ?8
);

-- name: FindAuditChain
-- The entries of account ?1 after seq ?2, in seq order, up to ?3.
SELECT id, account_id, seq, environment, actor_type, actor_id, ip, user_agent, action, target_id, detail, occurred_at, prev_hash, hash
FROM audit_log WHERE account_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3;

-- name: FindAuditHeads
SELECT account_id, seq, hash, pruned_seq, pruned_hash FROM audit_heads ORDER BY account_id;

-- name: FindAuditKeepFrom
-- The first seq of account ?1 to keep: the oldest entry at or after ?2.
SELECT seq FROM audit_log WHERE account_id = ?1 AND occurred_at >= ?2 ORDER BY seq LIMIT 1;

-- name: FindAuditHash
SELECT hash FROM audit_log WHERE account_id = ?1 AND seq = ?2;

-- name: PruneAuditEntries
DELETE FROM audit_log WHERE account_id = ?1 AND seq <= ?2;

-- name: SetAuditAnchor
UPDATE audit_heads SET pruned_seq = ?2, pruned_hash = ?3 WHERE account_id = ?1;
