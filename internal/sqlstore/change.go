package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate"
)

// lockChanges is what writers of credentials called before their first
// write when the change lock was held from there to commit. The lock is now
// taken only at or after commit (commitChanges, afterCommit); it does nothing, and stays so that
// writers that still call it keep building.
func (tx *Tx) lockChanges(context.Context) error { return nil }

// recordChange queues credential id for the change feed. The rows are
// written when the transaction's work is done (commitChanges, or
// WriteDeferred where the engine defers writes).
func (tx *Tx) recordChange(_ context.Context, id string, at time.Time) error {
	tx.changes = append(tx.changes, keygate.Change{CredentialID: id, ChangedAt: utc(at)})
	return nil
}

// commitChanges takes the change lock and writes the queued changes,
// numbered, just before commit, where the engine numbers the feed before
// commit (SQLite, one writer at a time).
func (tx *Tx) commitChanges(ctx context.Context) error {
	if len(tx.changes) == 0 {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, tx.query("LockChanges")); err != nil {
		return tx.translate("LockChanges", err)
	}
	for _, c := range tx.changes {
		if err := tx.exec(ctx, "RecordChange", "", c.CredentialID, c.ChangedAt); err != nil {
			return err
		}
	}
	if _, err := tx.tx.ExecContext(ctx, tx.query("NotifyChange")); err != nil {
		return tx.translate("NotifyChange", err)
	}
	return nil
}

// SequenceChanges numbers the committed changes that have no sequence
// number yet, where the engine numbers the feed after commit; elsewhere it
// does nothing. A node runs it now and then (SweepChanges), for the changes
// of a writer that died between its commit and their numbering.
func (db *DB) SequenceChanges(ctx context.Context) error {
	q, ok := db.dialect.Queries["SequenceChanges"]
	if !ok {
		return nil
	}
	if _, err := db.writer.ExecContext(ctx, q); err != nil {
		return db.internal("SequenceChanges", err)
	}
	return nil
}

// SweepChanges runs SequenceChanges if a committed change has no number.
func (db *DB) SweepChanges(ctx context.Context) error {
	q, ok := db.dialect.Queries["HasUnsequencedChanges"]
	if !ok {
		return nil
	}
	var pending bool
	if err := db.reader.QueryRowContext(ctx, q).Scan(&pending); err != nil {
		return db.internal("HasUnsequencedChanges", err)
	}
	if !pending {
		return nil
	}
	return db.SequenceChanges(ctx)
}

// FindChanges implements keygate.Tx.
func (tx *Tx) FindChanges(ctx context.Context, after int64, limit int) ([]keygate.Change, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindChanges"), after, limit)
	if err != nil {
		return nil, tx.translate("FindChanges", err)
	}
	list, err := collect(rows, func(s scanner) (*keygate.Change, error) {
		var c keygate.Change
		if err := s.Scan(&c.Seq, &c.CredentialID, &c.ChangedAt); err != nil {
			return nil, err
		}
		c.ChangedAt = utc(c.ChangedAt)
		return &c, nil
	})
	if err != nil {
		return nil, tx.translate("FindChanges", err)
	}
	out := make([]keygate.Change, len(list))
	for i, c := range list {
		out[i] = *c
	}
	return out, nil
}

// LastChangeSeq implements keygate.Tx.
func (tx *Tx) LastChangeSeq(ctx context.Context) (int64, error) {
	var seq int64
	if err := tx.tx.QueryRowContext(ctx, tx.query("LastChangeSeq")).Scan(&seq); err != nil {
		return 0, tx.translate("LastChangeSeq", err)
	}
	return seq, nil
}

// TouchAPIKeys implements keygate.Tx. It writes the keys in the order of
// their IDs, so that two nodes writing overlapping sets of last uses lock
// the rows in the same order and can't deadlock.
func (tx *Tx) TouchAPIKeys(ctx context.Context, uses []keygate.LastUse) error {
	if len(uses) == 0 {
		return nil
	}
	uses = slices.SortedFunc(slices.Values(uses), func(a, b keygate.LastUse) int { return strings.Compare(a.ID, b.ID) })
	for _, u := range uses {
		if u.Requests > 0 || u.Forbidden == 0 {
			if err := tx.exec(ctx, "TouchAPIKey", "", u.ID, utc(u.At)); err != nil {
				return err
			}
		}
		if u.Requests > 0 || u.Forbidden > 0 {
			if err := tx.exec(ctx, "AddAPIKeyUsage", "", u.ID, utc(u.At).Truncate(time.Hour), u.Requests, u.Forbidden); err != nil {
				return err
			}
		}
	}
	return nil
}

// FindAPIKeyUsage implements keygate.Tx.
func (tx *Tx) FindAPIKeyUsage(ctx context.Context, id string, since time.Time) ([]keygate.Usage, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindAPIKeyUsage"), id, utc(since))
	if err != nil {
		return nil, tx.translate("FindAPIKeyUsage", err)
	}
	list, err := collect(rows, func(s scanner) (*keygate.Usage, error) {
		var u keygate.Usage
		if err := s.Scan(&u.Hour, &u.Requests, &u.Forbidden); err != nil {
			return nil, err
		}
		u.Hour = utc(u.Hour)
		return &u, nil
	})
	if err != nil {
		return nil, tx.translate("FindAPIKeyUsage", err)
	}
	out := make([]keygate.Usage, len(list))
	for i, u := range list {
		out[i] = *u
	}
	return out, nil
}
