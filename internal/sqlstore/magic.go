package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/keygate/keygate"
)

// CreateMagicCode implements keygate.Tx.
func (tx *Tx) CreateMagicCode(ctx context.Context, hash []byte, userID string, env keygate.Environment, expires, now time.Time) error {
	return tx.exec(ctx, "CreateMagicCode", "", hash, userID, string(env), utc(expires), utc(now))
}

// errNoCode is the one answer to a code that can't be redeemed.
var errNoCode = keygate.Errorf(keygate.CodeNotFound, "This link is not valid: it was used already, it expired, or it never existed.")

// RedeemMagicCode implements keygate.Tx.
func (tx *Tx) RedeemMagicCode(ctx context.Context, hash []byte, env keygate.Environment, now time.Time) (string, error) {
	var user, codeEnv string
	err := tx.tx.QueryRowContext(ctx, tx.query("RedeemMagicCode"), hash, utc(now), string(env)).Scan(&user, &codeEnv)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoCode
	} else if err != nil {
		return "", tx.translate("RedeemMagicCode", err)
	}
	return user, nil
}

// UpdateAccountBusiness implements keygate.Tx.
func (tx *Tx) UpdateAccountBusiness(ctx context.Context, id, name string, business []byte, now time.Time) error {
	return tx.exec(ctx, "UpdateAccountBusiness", id, id, name, string(business), utc(now))
}

// FindAccountBusiness implements keygate.Tx.
func (tx *Tx) FindAccountBusiness(ctx context.Context, id string) ([]byte, error) {
	var b string
	err := tx.tx.QueryRowContext(ctx, tx.query("FindAccountBusiness"), id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.NotFound(id)
	} else if err != nil {
		return nil, tx.translate("FindAccountBusiness", err)
	}
	return []byte(b), nil
}
