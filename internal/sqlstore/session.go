package sqlstore

import (
	"context"
	"time"

	"github.com/keygate/keygate"
)

// CreateSession implements keygate.Tx.
func (tx *Tx) CreateSession(ctx context.Context, s *keygate.Session) error {
	return tx.exec(ctx, "CreateSession", "", s.TokenHash, s.UserID, s.AccountID, string(s.Environment), s.CSRFToken, utc(s.ExpiresAt), utc(s.CreatedAt))
}

// FindSession implements keygate.Tx.
func (tx *Tx) FindSession(ctx context.Context, hash []byte, now time.Time) (*keygate.Session, error) {
	return findOne(tx, ctx, "FindSession", "session", func(sc scanner) (*keygate.Session, error) {
		var s keygate.Session
		var env string
		if err := sc.Scan(&s.TokenHash, &s.UserID, &s.AccountID, &env, &s.CSRFToken, &s.ExpiresAt, &s.CreatedAt); err != nil {
			return nil, err
		}
		s.Environment, s.ExpiresAt, s.CreatedAt = keygate.Environment(env), utc(s.ExpiresAt), utc(s.CreatedAt)
		return &s, nil
	}, hash, utc(now))
}

// DeleteSession implements keygate.Tx.
func (tx *Tx) DeleteSession(ctx context.Context, hash []byte) error {
	return tx.exec(ctx, "DeleteSession", "", hash)
}

// DeleteExpiredSessions implements keygate.Tx.
func (tx *Tx) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	return tx.exec(ctx, "DeleteExpiredSessions", "", utc(now))
}

// CountUsers implements keygate.Tx.
func (tx *Tx) CountUsers(ctx context.Context, env keygate.Environment) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, tx.query("CountUsers"), string(env)).Scan(&n); err != nil {
		return 0, tx.translate("CountUsers", err)
	}
	return n, nil
}

// FindUserByID implements keygate.Tx.
func (tx *Tx) FindUserByID(ctx context.Context, id string) (*keygate.User, error) {
	return findOne(tx, ctx, "FindUserByID", id, scanUser, id)
}
