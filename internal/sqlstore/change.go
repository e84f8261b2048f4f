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
// taken only at commit (commitChanges); it does nothing, and stays so that
// writers that still call it keep building.
func (tx *Tx) lockChanges(context.Context) error { return nil }

// recordChange queues credential id for the change feed. The rows are
// written at commit, under the change lock (commitChanges).
func (tx *Tx) recordChange(_ context.Context, id string, at time.Time) error {
	tx.changes = append(tx.changes, keygate.Change{CredentialID: id, ChangedAt: utc(at)})
	return nil
}

// commitChanges writes the queued changes just before commit: it notifies
// other nodes (delivered at commit, where the engine can), then takes the
// change lock, which is held until the transaction ends, and inserts the
// rows. Sequence numbers are drawn only under the lock and the lock is
// released only after the commit is visible, so the feed's seq order is
// commit-visibility order: a reader that sees seq n sees every smaller seq
// that will ever commit (docs/decisions.md has the proof). The lock is held
// for two round trips (the lock and inserts, then COMMIT) instead of the
// whole transaction.
func (tx *Tx) commitChanges(ctx context.Context) error {
	if len(tx.changes) == 0 {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, tx.query("NotifyChange")); err != nil {
		return tx.translate("NotifyChange", err)
	}
	if q, ok := tx.db.dialect.Queries["LockAndRecordChanges"]; ok {
		ids, ats := make([]string, len(tx.changes)), make([]time.Time, len(tx.changes))
		for i, c := range tx.changes {
			ids[i], ats[i] = c.CredentialID, c.ChangedAt
		}
		if _, err := tx.tx.ExecContext(ctx, q, ids, ats); err != nil {
			return tx.translate("LockAndRecordChanges", err)
		}
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
	return nil
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
		if err := tx.exec(ctx, "TouchAPIKey", "", u.ID, utc(u.At)); err != nil {
			return err
		}
		if u.Requests > 0 {
			if err := tx.exec(ctx, "AddAPIKeyUsage", "", u.ID, utc(u.At).Truncate(time.Hour), u.Requests); err != nil {
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
		if err := s.Scan(&u.Hour, &u.Requests); err != nil {
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
