package sqlstore

import (
	"context"
	"database/sql"
	"errors"

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
	var u keygate.User
	var e string
	err := tx.tx.QueryRowContext(ctx, tx.query("FindUserByEmail"), string(env), keygate.NormalizeEmail(email)).
		Scan(&u.ID, &u.AccountID, &e, &u.Email, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.Errorf(keygate.CodeNotFound, "User not found.")
	} else if err != nil {
		return nil, tx.translate("FindUserByEmail", err)
	}
	u.Environment = keygate.Environment(e)
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return &u, nil
}
