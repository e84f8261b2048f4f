package sqlstore

import (
	"context"

	"github.com/keygate/keygate"
)

// CreateAccount implements keygate.Tx.
func (tx *Tx) CreateAccount(ctx context.Context, a *keygate.Account) error {
	return tx.exec(ctx, "CreateAccount", "", a.ID, string(a.Environment), a.Name, utc(a.CreatedAt), utc(a.UpdatedAt), a.PartnerID)
}

// FindAccountByID implements keygate.Tx.
func (tx *Tx) FindAccountByID(ctx context.Context, id string) (*keygate.Account, error) {
	return findOne(tx, ctx, "FindAccountByID", id, scanAccount, id)
}

// FindAccounts implements keygate.Tx.
func (tx *Tx) FindAccounts(ctx context.Context, f keygate.AccountFilter) ([]*keygate.Account, int, error) {
	var env any
	if f.Environment != nil {
		env = string(*f.Environment)
	}
	return findPage(tx, ctx, "FindAccounts", "operator", f.Page, scanAccount, env)
}

func scanAccount(s scanner) (*keygate.Account, error) {
	var a keygate.Account
	var env string
	if err := s.Scan(&a.ID, &env, &a.Name, &a.CreatedAt, &a.UpdatedAt, &a.PartnerID); err != nil {
		return nil, err
	}
	a.Environment = keygate.Environment(env)
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
	return &a, nil
}

// count runs a capped count query: at most keygate.MaxCount+1 rows are
// counted, as Paddle's estimated_total. With p.SkipCount it returns -1
// without running anything.
func (tx *Tx) count(ctx context.Context, name string, p keygate.Page, args ...any) (int, error) {
	if p.SkipCount {
		return -1, nil
	}
	var n int
	args = append(args, keygate.MaxCount+1)
	if err := tx.tx.QueryRowContext(ctx, tx.query(name), args...).Scan(&n); err != nil {
		return 0, tx.translate(name, err)
	}
	return n, nil
}
