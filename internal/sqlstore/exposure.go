package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/keygate/keygate"
)

// CreateAPIKeyExposure implements keygate.Tx.
func (tx *Tx) CreateAPIKeyExposure(ctx context.Context, x *keygate.APIKeyExposure) error {
	return tx.exec(ctx, "CreateAPIKeyExposure", "", x.ID, x.APIKeyID, x.AccountID, string(x.Environment), string(x.Risk),
		string(x.Action), string(x.Source), x.Reference, nullString(x.Description), nullTime(x.SeenAt), utc(x.CreatedAt))
}

// FindAPIKeyExposure implements keygate.Tx.
func (tx *Tx) FindAPIKeyExposure(ctx context.Context, apiKeyID string, source keygate.ExposureSource, reference string) (*keygate.APIKeyExposure, error) {
	x, err := scanExposure(tx.tx.QueryRowContext(ctx, tx.query("FindAPIKeyExposure"), apiKeyID, string(source), reference))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.Errorf(keygate.CodeNotFound, "Exposure not found.")
	} else if err != nil {
		return nil, tx.translate("FindAPIKeyExposure", err)
	}
	return x, nil
}

// FindAPIKeyExposures implements keygate.Tx.
func (tx *Tx) FindAPIKeyExposures(ctx context.Context, f keygate.APIKeyExposureFilter) ([]*keygate.APIKeyExposure, int, error) {
	return findPage(tx, ctx, "FindAPIKeyExposures", f.AccountID, f.Page, scanExposure, f.AccountID, f.APIKeyID)
}

// CountUnseenExposures implements keygate.Tx.
func (tx *Tx) CountUnseenExposures(ctx context.Context, accountID string, risk keygate.ExposureRisk) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, tx.query("CountUnseenExposures"), accountID, string(risk)).Scan(&n); err != nil {
		return 0, tx.translate("CountUnseenExposures", err)
	}
	return n, nil
}

// MarkExposuresSeen implements keygate.Tx.
func (tx *Tx) MarkExposuresSeen(ctx context.Context, apiKeyID string, now time.Time) error {
	return tx.exec(ctx, "MarkExposuresSeen", "", apiKeyID, utc(now))
}

func scanExposure(s scanner) (*keygate.APIKeyExposure, error) {
	var x keygate.APIKeyExposure
	var env, risk, action, source string
	var desc sql.NullString
	var seen sql.NullTime
	err := s.Scan(&x.ID, &x.APIKeyID, &x.AccountID, &env, &risk, &action, &source, &x.Reference, &desc, &seen, &x.CreatedAt)
	if err != nil {
		return nil, err
	}
	x.Environment, x.Risk, x.Action, x.Source = keygate.Environment(env), keygate.ExposureRisk(risk), keygate.ExposureAction(action), keygate.ExposureSource(source)
	x.Description, x.SeenAt, x.CreatedAt = stringPtr(desc), timePtr(seen), utc(x.CreatedAt)
	return &x, nil
}

// CreateUserMails implements keygate.Tx.
func (tx *Tx) CreateUserMails(ctx context.Context, e *keygate.Event, payload []byte, now time.Time) (int, error) {
	res, err := tx.tx.ExecContext(ctx, tx.query("CreateUserMails"), e.ID, e.AccountID, string(e.Environment), string(payload), utc(now))
	if err != nil {
		return 0, tx.translate("CreateUserMails", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, tx.translate("CreateUserMails", err)
	}
	return int(n), nil
}

// ClaimUserMails implements keygate.Tx.
func (tx *Tx) ClaimUserMails(ctx context.Context, now, until time.Time, limit int) ([]*keygate.UserMail, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("ClaimUserMails"), utc(now), utc(until), limit)
	if err != nil {
		return nil, tx.translate("ClaimUserMails", err)
	}
	list, err := collect(rows, scanUserMail)
	if err != nil {
		return nil, tx.translate("ClaimUserMails", err)
	}
	return list, nil
}

// UpdateUserMail implements keygate.Tx.
func (tx *Tx) UpdateUserMail(ctx context.Context, m *keygate.UserMail) error {
	return tx.exec(ctx, "UpdateUserMail", m.ID, m.ID, m.Attempts, nullTime(m.RetryAt), nullTime(m.SentAt), m.LastError)
}

func scanUserMail(s scanner) (*keygate.UserMail, error) {
	var m keygate.UserMail
	var env string
	var payload []byte
	var retry, sent sql.NullTime
	err := s.Scan(&m.ID, &m.AccountID, &env, &m.To, &m.EventID, &payload, &m.Attempts, &retry, &sent, &m.LastError, &m.CreatedAt)
	if err != nil {
		return nil, err
	}
	m.Environment, m.Payload = keygate.Environment(env), payload
	m.RetryAt, m.SentAt, m.CreatedAt = timePtr(retry), timePtr(sent), utc(m.CreatedAt)
	return &m, nil
}
