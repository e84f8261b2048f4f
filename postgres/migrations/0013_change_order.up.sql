-- The change feed is numbered after commit (docs/decisions.md, "The change
-- feed's order"): a writer inserts its rows with no seq, commits, and then a
-- sequencer numbers every committed row still without one, under the change
-- lock. Writers no longer hold the lock across their commit, so commits
-- (and their WAL flushes) run in parallel; the sequencer numbers them in
-- batches.
ALTER TABLE credential_changes DROP CONSTRAINT credential_changes_pkey;
ALTER TABLE credential_changes ALTER COLUMN seq DROP DEFAULT;
ALTER TABLE credential_changes ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE credential_changes ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
CREATE UNIQUE INDEX credential_changes_seq ON credential_changes (seq);
CREATE INDEX credential_changes_unsequenced ON credential_changes (id) WHERE seq IS NULL;
