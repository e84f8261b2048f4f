package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/keygate/keygate"
)

// CreateAPIKeyRotation implements keygate.Tx.
func (tx *Tx) CreateAPIKeyRotation(ctx context.Context, r *keygate.APIKeyRotation) error {
	if err := tx.lockChanges(ctx); err != nil {
		return err
	}
	err := tx.exec(ctx, "CreateAPIKeyRotation", "",
		r.ID, r.APIKeyID, r.AccountID, string(r.Environment), r.NewHash, r.OldHash, r.GracePeriodSeconds,
		nullTime(r.NewKeyExpiresAt), string(r.Status), nullTime(r.ExpiresAt), utc(r.CreatedAt), utc(r.UpdatedAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, r.APIKeyID, r.UpdatedAt)
}

// UpdateAPIKeyRotation implements keygate.Tx.
func (tx *Tx) UpdateAPIKeyRotation(ctx context.Context, r *keygate.APIKeyRotation) error {
	if err := tx.lockChanges(ctx); err != nil {
		return err
	}
	err := tx.exec(ctx, "UpdateAPIKeyRotation", r.ID, r.ID, string(r.Status), nullTime(r.ExpiresAt), utc(r.UpdatedAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, r.APIKeyID, r.UpdatedAt)
}

// FindAPIKeyRotationByID implements keygate.Tx.
func (tx *Tx) FindAPIKeyRotationByID(ctx context.Context, id string) (*keygate.APIKeyRotation, error) {
	r, err := tx.scanRotation(tx.tx.QueryRowContext(ctx, tx.query("FindAPIKeyRotationByID"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.NotFound(id)
	} else if err != nil {
		return nil, tx.translate("FindAPIKeyRotationByID", err)
	}
	return r, nil
}

// FindAPIKeyRotations implements keygate.Tx.
func (tx *Tx) FindAPIKeyRotations(ctx context.Context, f keygate.APIKeyRotationFilter) ([]*keygate.APIKeyRotation, int, error) {
	return findPage(tx, ctx, "FindAPIKeyRotations", f.APIKeyID, f.Page, tx.scanRotation, f.APIKeyID, jsonList(f.IDs))
}

// FindLiveAPIKeyRotations implements keygate.Tx.
func (tx *Tx) FindLiveAPIKeyRotations(ctx context.Context, apiKeyID string, now time.Time) ([]*keygate.APIKeyRotation, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindLiveAPIKeyRotations"), apiKeyID, utc(now))
	if err != nil {
		return nil, tx.translate("FindLiveAPIKeyRotations", err)
	}
	list, err := collect(rows, tx.scanRotation)
	if err != nil {
		return nil, tx.translate("FindLiveAPIKeyRotations", err)
	}
	return list, nil
}

// scanRotation scans a rotation and gives it the database's key prefix.
func (tx *Tx) scanRotation(s scanner) (*keygate.APIKeyRotation, error) {
	r, err := scanRotation(s)
	if err == nil {
		r.KeyPrefix = tx.db.prefix()
	}
	return r, err
}

// scanRotation scans the columns every rotation query selects, in order.
func scanRotation(s scanner) (*keygate.APIKeyRotation, error) {
	var r keygate.APIKeyRotation
	var env, status string
	var newExpires, expires sql.NullTime
	err := s.Scan(&r.ID, &r.APIKeyID, &r.AccountID, &env, &r.NewHash, &r.OldHash, &r.GracePeriodSeconds,
		&newExpires, &status, &expires, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	r.Environment, r.Status = keygate.Environment(env), keygate.RotationStatus(status)
	r.NewKeyExpiresAt, r.ExpiresAt = timePtr(newExpires), timePtr(expires)
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	return &r, nil
}
