-- Audit entries are committed unchained and chained just after, in
-- batches (docs/decisions.md, "The audit chain after commit"): seq and the
-- hashes are NULL until then. The partial index finds the entries a writer
-- left unchained (it died between its commit and their chaining) and the
-- entries a run chains.
ALTER TABLE audit_log ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash DROP NOT NULL;
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE seq IS NULL;

-- Every entry is written twice (unchained, then chained), and the second
-- write changes an indexed column (seq): each index costs two insertions.
-- The key (account_id, id) serves the lists (audit_log_account did) and
-- the time of the oldest entry to keep is found through (account_id, seq)
-- (audit_log_time was only for that).
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD PRIMARY KEY (account_id, id);
DROP INDEX audit_log_account;
DROP INDEX audit_log_time;
