package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/keygate/keygate"
)

// errNoSetupLink is the one answer to a set-up link that can't be used.
var errNoSetupLink = keygate.Errorf(keygate.CodeNotFound, "This set-up link is not valid: it was used already, or it expired.")

// CreateSetupLink implements keygate.Tx.
func (tx *Tx) CreateSetupLink(ctx context.Context, hash []byte, env keygate.Environment, expires, now time.Time) error {
	return tx.exec(ctx, "CreateSetupLink", "", hash, string(env), utc(expires), utc(now))
}

// FindSetupLink implements keygate.Tx.
func (tx *Tx) FindSetupLink(ctx context.Context, hash []byte, env keygate.Environment, now time.Time) error {
	var one int
	err := tx.tx.QueryRowContext(ctx, tx.query("FindSetupLink"), hash, utc(now), string(env)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoSetupLink
	}
	return tx.translateIf("FindSetupLink", err)
}

// RedeemSetupLink implements keygate.Tx. It checks the link, then uses up
// every unused link of env at once, and succeeds only if this link was among
// them: of concurrent redemptions, of this link or another, one wins.
func (tx *Tx) RedeemSetupLink(ctx context.Context, hash []byte, env keygate.Environment, now time.Time) error {
	if err := tx.FindSetupLink(ctx, hash, env, now); err != nil {
		return err
	}
	rows, err := tx.tx.QueryContext(ctx, tx.query("RetireSetupLinks"), utc(now), string(env))
	if err != nil {
		return tx.translate("RetireSetupLinks", err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return tx.translate("RetireSetupLinks", err)
		}
		found = found || bytes.Equal(h, hash)
	}
	if err := rows.Err(); err != nil {
		return tx.translate("RetireSetupLinks", err)
	}
	if !found {
		return errNoSetupLink
	}
	return nil
}

// translateIf translates err, if any.
func (tx *Tx) translateIf(name string, err error) error {
	if err != nil {
		return tx.translate(name, err)
	}
	return nil
}
