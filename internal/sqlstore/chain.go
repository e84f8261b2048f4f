package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/keygate/keygate"
)

// chainUnchained chains entries, committed unchained, after their accounts'
// heads: it locks the heads in account order (making those missing), gives
// each account's entries, in ID order, the next seqs and their hashes, and
// moves the heads, in one statement. The heads stay locked until this
// transaction ends, so that runs of one account, on any node, chain one
// after another.
func (tx *Tx) chainUnchained(ctx context.Context, entries []*keygate.AuditEntry) error {
	slices.SortFunc(entries, func(a, b *keygate.AuditEntry) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.ID, b.ID))
	})
	accounts := accountsOf(entries)
	heads, err := tx.lockAuditHeads(ctx, accounts)
	if err != nil {
		return err
	}
	n := len(entries)
	ids, seqs, prevs, hashes := make([]string, n), make([]int64, n), make([][]byte, n), make([][]byte, n)
	for i, e := range entries {
		h := heads[e.AccountID]
		h.Seq++
		e.Seq, e.PrevHash = h.Seq, h.Hash
		e.Hash = keygate.AuditHash(e.PrevHash, e)
		h.Hash = e.Hash
		ids[i], seqs[i], prevs[i], hashes[i] = e.ID, e.Seq, e.PrevHash, e.Hash
	}
	headSeqs, headHashes := make([]int64, len(accounts)), make([][]byte, len(accounts))
	for i, a := range accounts {
		headSeqs[i], headHashes[i] = heads[a].Seq, heads[a].Hash
	}
	var chained int
	err = tx.tx.QueryRowContext(ctx, tx.query("ChainAuditEntries"), ids, seqs, prevs, hashes, accounts, headSeqs, headHashes).Scan(&chained)
	if err != nil {
		return tx.translate("ChainAuditEntries", err)
	}
	if chained != n {
		return errChainedMeanwhile // the caller rolls back: nothing of this run is written
	}
	return nil
}

// lockAuditHeads locks the heads of accounts (sorted) in that order and
// returns them; the heads of accounts without one are made first.
func (tx *Tx) lockAuditHeads(ctx context.Context, accounts []string) (map[string]*keygate.AuditHead, error) {
	for range 2 {
		rows, err := tx.tx.QueryContext(ctx, tx.query("LockAuditHeads"), accounts)
		if err != nil {
			return nil, tx.translate("LockAuditHeads", err)
		}
		list, err := collect(rows, func(s scanner) (*keygate.AuditHead, error) {
			var h keygate.AuditHead
			return &h, s.Scan(&h.AccountID, &h.Seq, &h.Hash)
		})
		if err != nil {
			return nil, tx.translate("LockAuditHeads", err)
		}
		if len(list) == len(accounts) {
			heads := make(map[string]*keygate.AuditHead, len(list))
			for _, h := range list {
				heads[h.AccountID] = h
			}
			return heads, nil
		}
		if err := tx.exec(ctx, "InitAuditHeads", "", accounts, keygate.AuditGenesis); err != nil {
			return nil, err
		}
	}
	return nil, tx.db.internal("LockAuditHeads", errors.New("audit heads missing after making them"))
}

// stillUnchained returns those of entries that are still unchained.
func (db *DB) stillUnchained(ctx context.Context, entries []*keygate.AuditEntry) ([]*keygate.AuditEntry, error) {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	rows, err := db.writer.QueryContext(ctx, db.dialect.Queries["FindUnchainedAmong"], ids)
	if err != nil {
		return nil, db.internal("FindUnchainedAmong", err)
	}
	left, err := collect(rows, func(s scanner) (*string, error) {
		var id string
		return &id, s.Scan(&id)
	})
	if err != nil {
		return nil, db.internal("FindUnchainedAmong", err)
	}
	keep := make(map[string]bool, len(left))
	for _, id := range left {
		keep[*id] = true
	}
	return slices.DeleteFunc(entries, func(e *keygate.AuditEntry) bool { return !keep[e.ID] }), nil
}

// sweepBatch bounds the entries one sweep run chains.
const sweepBatch = 1000

// SweepAudit chains committed audit entries that are still unchained (a
// writer died between its commit and their chaining), where the engine
// chains after commit; elsewhere it does nothing. A node runs it now and
// then, with SweepChanges. It takes only the entries it found unchained in
// its previous call too, so that it leaves those whose writers are about
// to chain them (a few milliseconds after their commit) to them.
func (db *DB) SweepAudit(ctx context.Context) error {
	q, ok := db.dialect.Queries["FindUnchainedAudit"]
	if !ok {
		return nil
	}
	db.sweepMu.Lock()
	defer db.sweepMu.Unlock()
	var entries []*keygate.AuditEntry
	err := db.View(ctx, func(t keygate.Tx) error {
		rows, err := t.(*Tx).tx.QueryContext(ctx, q, sweepBatch)
		if err != nil {
			return err
		}
		entries, err = collect(rows, scanAuditEntry)
		return err
	})
	if err != nil {
		return db.internal("FindUnchainedAudit", err)
	}
	seen := make(map[string]bool, len(entries))
	var orphans []*keygate.AuditEntry
	for _, e := range entries {
		seen[e.ID] = true
		if db.unchainedBefore[e.ID] {
			orphans = append(orphans, e)
		}
	}
	db.unchainedBefore = seen
	if len(orphans) == 0 {
		return nil
	}
	return db.runChain(ctx, orphans)
}
