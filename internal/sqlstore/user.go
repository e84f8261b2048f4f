package sqlstore

import (
	"context"

	"github.com/keygate/keygate"
)

// CreateUser implements keygate.Tx.
func (tx *Tx) CreateUser(ctx context.Context, u *keygate.User) error {
	err := tx.exec(ctx, "CreateUser", "", u.ID, u.AccountID, string(u.Environment), u.Email, u.PasswordHash, utc(u.CreatedAt), utc(u.UpdatedAt))
	if keygate.ErrorCode(err) == keygate.CodeConflict {
		return &keygate.Error{Code: keygate.CodeConflict, Message: "A user with this e-mail address already exists.", Err: err}
	}
	return err
}

// FindUserByEmail implements keygate.Tx.
func (tx *Tx) FindUserByEmail(ctx context.Context, env keygate.Environment, email string) (*keygate.User, error) {
	u, err := findOne(tx, ctx, "FindUserByEmail", "user", scanUser, string(env), keygate.NormalizeEmail(email))
	if keygate.ErrorCode(err) == keygate.CodeNotFound {
		return nil, keygate.Errorf(keygate.CodeNotFound, "User not found.")
	}
	return u, err
}

func scanUser(s scanner) (*keygate.User, error) {
	var u keygate.User
	var env string
	if err := s.Scan(&u.ID, &u.AccountID, &env, &u.Email, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.Environment = keygate.Environment(env)
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return &u, nil
}
