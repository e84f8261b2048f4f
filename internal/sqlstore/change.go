package sqlstore

import (
	"context"
	"time"

	"github.com/keygate/keygate"
)

// lockChanges takes the change lock, once per transaction. Every
// transaction that writes a credential takes it before its first row lock on
// one and holds it to commit: on PostgreSQL this makes the change feed's
// order the commit order and gives every writer the same lock order; on
// SQLite the writer is exclusive already and the query does nothing.
func (tx *Tx) lockChanges(ctx context.Context) error {
	if tx.changesLocked {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, tx.query("LockChanges")); err != nil {
		return tx.translate("LockChanges", err)
	}
	tx.changesLocked = true
	return nil
}

// recordChange appends credential id to the change feed and, where the
// engine can, notifies other nodes at commit.
func (tx *Tx) recordChange(ctx context.Context, id string, at time.Time) error {
	if err := tx.exec(ctx, "RecordChange", "", id, utc(at)); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, tx.query("NotifyChange")); err != nil {
		return tx.translate("NotifyChange", err)
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

// TouchAPIKeys implements keygate.Tx. It takes the change lock too: it
// writes rows of api_keys, and every writer of them must lock in the same
// order.
func (tx *Tx) TouchAPIKeys(ctx context.Context, uses []keygate.LastUse) error {
	if len(uses) == 0 {
		return nil
	}
	if err := tx.lockChanges(ctx); err != nil {
		return err
	}
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
