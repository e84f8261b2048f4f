package sqlstore

import (
	"context"
	"time"
)

// CountSignInAttempt implements keygate.Tx.
func (tx *Tx) CountSignInAttempt(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error) {
	var n int
	var start time.Time
	err := tx.tx.QueryRowContext(ctx, tx.query("CountSignInAttempt"), key, utc(now), utc(now.Add(-window))).Scan(&n, &start)
	if err != nil {
		return 0, time.Time{}, tx.translate("CountSignInAttempt", err)
	}
	return n, utc(start), nil
}

// ForgiveSignInAttempt implements keygate.Tx.
func (tx *Tx) ForgiveSignInAttempt(ctx context.Context, key string) error {
	return tx.exec(ctx, "ForgiveSignInAttempt", "", key)
}

// ForgetSignInAttempts implements keygate.Tx.
func (tx *Tx) ForgetSignInAttempts(ctx context.Context, key string) error {
	return tx.exec(ctx, "ForgetSignInAttempts", "", key)
}

// DeleteOldSignInAttempts implements keygate.Tx.
func (tx *Tx) DeleteOldSignInAttempts(ctx context.Context, cutoff time.Time) error {
	return tx.exec(ctx, "DeleteOldSignInAttempts", "", utc(cutoff))
}
