package app

import (
	"context"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// CreateAccount creates an account (a seller).
func (s *Service) CreateAccount(ctx context.Context, in keygate.AccountCreate) (*keygate.Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	a := &keygate.Account{ID: credential.NewID("acc", now), Environment: in.Environment, Name: in.Name, CreatedAt: now, UpdatedAt: now}
	err := s.Store.Update(ctx, func(tx keygate.Tx) error { return tx.CreateAccount(ctx, a) })
	if err != nil {
		return nil, err
	}
	return a, nil
}

// GetAccount returns an account the scope may see; CodeNotFound otherwise.
func (s *Service) GetAccount(ctx context.Context, sc Scope, id string) (*keygate.Account, error) {
	var a *keygate.Account
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		var err error
		a, err = findAccount(ctx, tx, sc, id)
		return err
	})
	return a, err
}

// ListAccounts lists accounts; operator only.
func (s *Service) ListAccounts(ctx context.Context, f keygate.AccountFilter) ([]*keygate.Account, int, error) {
	var list []*keygate.Account
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		var err error
		list, total, err = tx.FindAccounts(ctx, f)
		return err
	})
	return list, total, err
}

// CreateUser creates a dashboard user in an account, with an argon2id hash
// of the password. CodeConflict if the e-mail is taken in the account's
// environment.
func (s *Service) CreateUser(ctx context.Context, in keygate.UserCreate) (*keygate.User, error) {
	email, err := in.Validate()
	if err != nil {
		return nil, err
	}
	var hash string // before the transaction: it takes ~100 ms
	if err := s.HashBudget.Do(ctx, func() { hash = credential.HashPassword(in.Password) }); err != nil {
		return nil, hashBusy(err)
	}
	now := s.now()
	u := &keygate.User{ID: credential.NewID("usr", now), AccountID: in.AccountID, Email: email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		a, err := findAccount(ctx, tx, OperatorScope(), in.AccountID)
		if err != nil {
			return err
		}
		u.Environment = a.Environment
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// findAccount returns the account if the scope may see it.
func findAccount(ctx context.Context, tx keygate.Tx, sc Scope, id string) (*keygate.Account, error) {
	if !sc.allows(id) {
		return nil, keygate.NotFound(id)
	}
	return tx.FindAccountByID(ctx, id)
}
