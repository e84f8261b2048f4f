package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// As returns the scope acting as actor: the audit log records what it does
// as actor's. The API acts as its credential (DelegatedScope does that by
// itself), the dashboard as its signed-in user, the CLI as the operator.
func (sc Scope) As(actor keygate.Actor) Scope {
	sc.actor = actor
	return sc
}

// Actor returns whom the audit log names for what the scope does.
func (sc Scope) Actor() keygate.Actor {
	if sc.actor.Type != "" {
		return sc.actor
	}
	switch {
	case sc.delegated:
		return keygate.Actor{Type: keygate.ActorAPIKey, ID: sc.self}
	case sc.operator:
		return keygate.Actor{Type: keygate.ActorOperator}
	}
	return keygate.Actor{}
}

// clientKey is the context key of the client a surface serves.
type clientKey struct{}

// Client is where a request comes from, as the audit log records it.
type Client struct {
	IP        string
	UserAgent string
}

// WithClient returns ctx carrying the client a surface is serving: the
// audit entries written for the request record its IP and user agent.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// clientOf returns the client ctx carries, if any.
func clientOf(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// SystemActor is keygate itself doing what (the expiry scan: "expiry";
// an exposure report: its source, "github").
func SystemActor(what string) keygate.Actor {
	return keygate.Actor{Type: keygate.ActorSystem, ID: what}
}

// record adds an entry to the audit log of accountID in tx: actor did
// action to target (an entity ID, or "") at now.
// The client's IP and user agent come from ctx (WithClient) unless actor
// has its own or is the system, which has no client.
func record(ctx context.Context, tx keygate.Tx, actor keygate.Actor, accountID string, env keygate.Environment, action keygate.AuditAction, target, detail string, now time.Time) error {
	if c := clientOf(ctx); actor.IP == "" && actor.UserAgent == "" && actor.Type != keygate.ActorSystem {
		actor.IP, actor.UserAgent = c.IP, c.UserAgent
	}
	actor.UserAgent = clip(actor.UserAgent)
	actor.IP = clip(actor.IP)
	return tx.RecordAudit(ctx, &keygate.AuditEntry{
		ID: credential.NewID("audit", now), AccountID: accountID, Environment: env, Actor: actor,
		Action: action, TargetID: target, Detail: clip(detail), OccurredAt: now,
	})
}

// clip makes a client's text fit an audit entry: valid UTF-8 without NUL,
// at most keygate.AuditFieldMax characters.
func clip(s string) string {
	if s == "" {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	return truncate(strings.ReplaceAll(s, "\x00", ""), keygate.AuditFieldMax)
}

// auditSettler is a store that chains audit entries just after their
// writers return (PostgreSQL: internal/sqlstore, SettleAudit).
type auditSettler interface {
	SettleAudit(ctx context.Context) error
}

// settleAudit waits, where the store chains entries after their writers
// return, until the entries written through this process are chained, so
// that a read of the audit log after a change made here shows its entry
// chained.
func (s *Service) settleAudit(ctx context.Context) error {
	if a, ok := s.Store.(auditSettler); ok {
		return a.SettleAudit(ctx)
	}
	return nil
}

// userActor is a dashboard user.
func userActor(id string) keygate.Actor { return keygate.Actor{Type: keygate.ActorUser, ID: id} }

// ListAuditLog lists the audit entries of the scope's account (or, for the
// operator, of f.AccountID), newest first unless f asks otherwise.
func (s *Service) ListAuditLog(ctx context.Context, sc Scope, f keygate.AuditFilter) ([]*keygate.AuditEntry, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
		if f.AccountID == "" {
			return nil, 0, keygate.Errorf(keygate.CodeForbidden, "You aren't permitted to perform this request.")
		}
	}
	if err := s.settleAudit(ctx); err != nil {
		return nil, 0, err
	}
	var list []*keygate.AuditEntry
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		list, total, err = tx.FindAuditEntries(ctx, f)
		return err
	})
	return list, total, err
}

// auditBatch is how many entries one read of a chain returns.
const auditBatch = 500

// ExportAuditLog calls fn with every entry of account's chain (the
// operator's: "" is the chain of no account), oldest first, until fn
// returns an error. Each batch is read in a transaction of its own, so a
// long export holds no transaction open.
func (s *Service) ExportAuditLog(ctx context.Context, accountID string, since time.Time, fn func(*keygate.AuditEntry) error) error {
	if err := s.settleAudit(ctx); err != nil {
		return err
	}
	var after int64
	for {
		var batch []*keygate.AuditEntry
		err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
			batch, err = tx.FindAuditChain(ctx, accountID, after, auditBatch)
			return err
		})
		if err != nil {
			return err
		}
		for _, e := range batch {
			if e.OccurredAt.Before(since) {
				continue
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(batch) < auditBatch {
			return nil
		}
		after = batch[len(batch)-1].Seq
	}
}

// AuditChainState is what VerifyAuditLog found of one account's chain.
type AuditChainState struct {
	Head keygate.AuditHead
	// Checked is how many entries were checked.
	Checked int
	// Break is the chain's first broken link; nil if it is whole.
	Break *keygate.AuditBreak
}

// VerifyAuditLog checks the hash chain of every account (or only of
// accountID, if not nil) from its anchor to its head, and returns each
// chain's state. A chain whose entries were edited, deleted or reordered
// has a Break naming the first broken link.
func (s *Service) VerifyAuditLog(ctx context.Context, accountID *string) ([]AuditChainState, error) {
	if err := s.settleAudit(ctx); err != nil {
		return nil, err
	}
	var heads []keygate.AuditHead
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		heads, err = tx.FindAuditHeads(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []AuditChainState
	for _, h := range heads {
		if accountID != nil && h.AccountID != *accountID {
			continue
		}
		st, err := s.verifyChain(ctx, h)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if accountID != nil && len(out) == 0 {
		return nil, keygate.Errorf(keygate.CodeNotFound, "Account %s has no audit log.", *accountID)
	}
	return out, nil
}

// verifyChain checks one chain. It reads the head again with each batch's
// transaction, so that entries written while it runs extend what it
// checks rather than look like entries missing at the end.
func (s *Service) verifyChain(ctx context.Context, h keygate.AuditHead) (AuditChainState, error) {
	v := keygate.NewAuditVerifier(h)
	var after int64 = h.PrunedSeq
	for {
		var batch []*keygate.AuditEntry
		err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
			batch, err = tx.FindAuditChain(ctx, h.AccountID, after, auditBatch)
			return err
		})
		if err != nil {
			return AuditChainState{}, err
		}
		for _, e := range batch {
			if e.Seq > h.Seq {
				break
			}
			if b := v.Next(e); b != nil {
				return AuditChainState{Head: h, Checked: v.Checked(), Break: b}, nil
			}
		}
		if len(batch) < auditBatch || batch[len(batch)-1].Seq >= h.Seq {
			break
		}
		after = batch[len(batch)-1].Seq
	}
	return AuditChainState{Head: h, Checked: v.Checked(), Break: v.Done()}, nil
}

// PruneAuditLog deletes, in every account's chain, the entries older than
// cutoff, in transactions of up to batch entries, keeping each chain
// verifiable (its anchor is the last entry deleted). Any number of
// processes may run it at once: each account's head is locked while its
// entries are deleted, and a second run finds nothing left to delete. It
// returns how many entries it deleted.
func (s *Service) PruneAuditLog(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = auditBatch
	}
	if err := s.settleAudit(ctx); err != nil {
		return 0, err
	}
	var heads []keygate.AuditHead
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		heads, err = tx.FindAuditHeads(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	total := 0
	for _, h := range heads {
		for {
			var n int
			err := s.Store.Update(ctx, func(tx keygate.Tx) (err error) {
				n, err = tx.PruneAudit(ctx, h.AccountID, cutoff, batch)
				return err
			})
			total += n
			if err != nil {
				return total, err
			}
			if n < batch {
				break
			}
		}
	}
	return total, nil
}

// AuditHeads returns the chain head of every account with an audit log.
func (s *Service) AuditHeads(ctx context.Context) ([]keygate.AuditHead, error) {
	if err := s.settleAudit(ctx); err != nil {
		return nil, err
	}
	var heads []keygate.AuditHead
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		heads, err = tx.FindAuditHeads(ctx)
		return err
	})
	return heads, err
}
