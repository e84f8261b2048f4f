-- name: CreateEvent
INSERT INTO events (id, account_id, environment, type, entity_id, occurred_at, data)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7);

-- name: FindEvents
-- ?1 account, ?2 JSON array of types or NULL, ?3 entity ID or '', ?4 cursor, ?5 limit
SELECT id, account_id, environment, type, entity_id, occurred_at, data FROM events
WHERE account_id = ?1
  AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2)))
  AND (?3 = '' OR entity_id = ?3)
  AND id {{cmp}} ?4
ORDER BY id {{dir}} LIMIT ?5;

-- name: CountEvents
SELECT count(*) FROM (
    SELECT 1 FROM events
    WHERE account_id = ?1
      AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2)))
      AND (?3 = '' OR entity_id = ?3)
    LIMIT ?4
);
