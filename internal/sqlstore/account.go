package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/keygate/keygate"
)

// CreateAccount implements keygate.Tx.
func (tx *Tx) CreateAccount(ctx context.Context, a *keygate.Account) error {
	return tx.exec(ctx, "CreateAccount", "", a.ID, string(a.Environment), a.Name, utc(a.CreatedAt), utc(a.UpdatedAt))
}

// FindAccountByID implements keygate.Tx.
func (tx *Tx) FindAccountByID(ctx context.Context, id string) (*keygate.Account, error) {
	a, err := scanAccount(tx.tx.QueryRowContext(ctx, tx.query("FindAccountByID"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.NotFound(id)
	} else if err != nil {
		return nil, tx.translate("FindAccountByID", err)
	}
	return a, nil
}

// FindAccounts implements keygate.Tx.
func (tx *Tx) FindAccounts(ctx context.Context, f keygate.AccountFilter) ([]*keygate.Account, int, error) {
	var env any
	if f.Environment != nil {
		env = string(*f.Environment)
	}
	name, after := listQuery("FindAccounts", f.Page)
	rows, err := tx.tx.QueryContext(ctx, tx.query(name), env, after, f.Size())
	if err != nil {
		return nil, 0, tx.translate(name, err)
	}
	list, err := collect(rows, scanAccount)
	if err != nil {
		return nil, 0, tx.translate(name, err)
	}
	total, err := tx.count(ctx, "CountAccounts", f.Page, env)
	return list, total, err
}

func scanAccount(s scanner) (*keygate.Account, error) {
	var a keygate.Account
	var env string
	if err := s.Scan(&a.ID, &env, &a.Name, &a.CreatedAt, &a.UpdatedAt); err != nil {
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
