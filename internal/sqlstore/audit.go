package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/keygate/keygate"
)

// RecordAudit implements keygate.Tx: it queues e, which commitAudit chains
// and writes when the transaction's work is done.
func (tx *Tx) RecordAudit(_ context.Context, e *keygate.AuditEntry) error {
	if !tx.write {
		return tx.db.internal("RecordAudit", errors.New("audit entry in a read-only transaction"))
	}
	e.OccurredAt = utc(e.OccurredAt).Truncate(time.Microsecond)
	tx.audits = append(tx.audits, e)
	return nil
}

// commitAudit chains and writes the queued audit entries, account by
// account in the order of their IDs, each account's in the order they were
// recorded, where the engine chains before commit (SQLite, whose one
// writer at a time holds every head).
func (tx *Tx) commitAudit(ctx context.Context) error {
	if len(tx.audits) == 0 {
		return nil
	}
	byAccount := map[string][]*keygate.AuditEntry{}
	for _, e := range tx.audits {
		byAccount[e.AccountID] = append(byAccount[e.AccountID], e)
	}
	for _, a := range slices.Sorted(maps.Keys(byAccount)) {
		if err := tx.chainAudit(ctx, a, byAccount[a]); err != nil {
			return err
		}
	}
	return nil
}

// chainAudit writes entries after the head of account, and moves the head.
func (tx *Tx) chainAudit(ctx context.Context, account string, entries []*keygate.AuditEntry) error {
	head, err := tx.lockAuditHead(ctx, account)
	if err != nil {
		return err
	}
	seq, prev := head.Seq, head.Hash
	for _, e := range entries {
		seq++
		e.Seq, e.PrevHash = seq, prev
		e.Hash = keygate.AuditHash(prev, e)
		err := tx.exec(ctx, "CreateAuditEntry", "", e.ID, e.AccountID, e.Seq, string(e.Environment),
			string(e.Actor.Type), e.Actor.ID, e.Actor.IP, e.Actor.UserAgent, string(e.Action), e.TargetID, e.Detail,
			e.OccurredAt, e.PrevHash, e.Hash)
		if err != nil {
			return err
		}
		prev = e.Hash
	}
	return tx.exec(ctx, "SetAuditHead", "", account, seq, prev)
}

// lockAuditHead returns the head of account's chain, made if missing,
// locked until the transaction ends.
func (tx *Tx) lockAuditHead(ctx context.Context, account string) (keygate.AuditHead, error) {
	h := keygate.AuditHead{AccountID: account}
	err := tx.tx.QueryRowContext(ctx, tx.query("LockAuditHead"), account, keygate.AuditGenesis).
		Scan(&h.Seq, &h.Hash, &h.PrunedSeq, &h.PrunedHash)
	if err != nil {
		return h, tx.translate("LockAuditHead", err)
	}
	return h, nil
}

// FindAuditEntries implements keygate.Tx.
func (tx *Tx) FindAuditEntries(ctx context.Context, f keygate.AuditFilter) ([]*keygate.AuditEntry, int, error) {
	return findPage(tx, ctx, "FindAuditEntries", "audit", f.Page, scanAuditEntry,
		f.AccountID, string(f.ActorType), f.ActorID, jsonList(f.Actions), f.TargetID, nullTime(f.From), nullTime(f.Till))
}

// FindAuditChain implements keygate.Tx.
func (tx *Tx) FindAuditChain(ctx context.Context, accountID string, after int64, limit int) ([]*keygate.AuditEntry, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindAuditChain"), accountID, after, limit)
	if err != nil {
		return nil, tx.translate("FindAuditChain", err)
	}
	list, err := collect(rows, scanAuditEntry)
	if err != nil {
		return nil, tx.translate("FindAuditChain", err)
	}
	return list, nil
}

// FindAuditHeads implements keygate.Tx.
func (tx *Tx) FindAuditHeads(ctx context.Context) ([]keygate.AuditHead, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindAuditHeads"))
	if err != nil {
		return nil, tx.translate("FindAuditHeads", err)
	}
	list, err := collect(rows, func(s scanner) (*keygate.AuditHead, error) {
		var h keygate.AuditHead
		return &h, s.Scan(&h.AccountID, &h.Seq, &h.Hash, &h.PrunedSeq, &h.PrunedHash)
	})
	if err != nil {
		return nil, tx.translate("FindAuditHeads", err)
	}
	out := make([]keygate.AuditHead, len(list))
	for i, h := range list {
		out[i] = *h
	}
	return out, nil
}

// PruneAudit implements keygate.Tx.
func (tx *Tx) PruneAudit(ctx context.Context, accountID string, cutoff time.Time, limit int) (int, error) {
	head, err := tx.lockAuditHead(ctx, accountID)
	if err != nil {
		return 0, err
	}
	keepFrom := head.Seq + 1
	err = tx.tx.QueryRowContext(ctx, tx.query("FindAuditKeepFrom"), accountID, utc(cutoff)).Scan(&keepFrom)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, tx.translate("FindAuditKeepFrom", err)
	}
	last := min(keepFrom-1, head.PrunedSeq+int64(limit))
	if last <= head.PrunedSeq {
		return 0, nil
	}
	var hash []byte
	if err := tx.tx.QueryRowContext(ctx, tx.query("FindAuditHash"), accountID, last).Scan(&hash); err != nil {
		return 0, tx.translate("FindAuditHash", err)
	}
	res, err := tx.tx.ExecContext(ctx, tx.query("PruneAuditEntries"), accountID, last)
	if err != nil {
		return 0, tx.translate("PruneAuditEntries", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, tx.translate("PruneAuditEntries", err)
	}
	return int(n), tx.exec(ctx, "SetAuditAnchor", "", accountID, last, hash)
}

// scanAuditEntry scans the columns every audit query selects, in order.
func scanAuditEntry(s scanner) (*keygate.AuditEntry, error) {
	var e keygate.AuditEntry
	var env, actorType, action string
	err := s.Scan(&e.ID, &e.AccountID, &e.Seq, &env, &actorType, &e.Actor.ID, &e.Actor.IP, &e.Actor.UserAgent,
		&action, &e.TargetID, &e.Detail, &e.OccurredAt, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
	}
	e.Environment, e.Actor.Type, e.Action = keygate.Environment(env), keygate.ActorType(actorType), keygate.AuditAction(action)
	e.OccurredAt = utc(e.OccurredAt)
	return &e, nil
}
