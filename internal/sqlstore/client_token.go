package sqlstore

import (
	"context"
	"database/sql"

	"github.com/keygate/keygate"
)

// CreateClientToken implements keygate.Tx. Like every credential, the token
// goes into the change feed.
func (tx *Tx) CreateClientToken(ctx context.Context, t *keygate.ClientToken) error {
	err := tx.exec(ctx, "CreateClientToken", "", t.ID, t.AccountID, string(t.Environment), t.Token, t.Name,
		nullString(t.Description), string(t.Status), nullTime(t.RevokedAt), utc(t.CreatedAt), utc(t.UpdatedAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, t.ID, t.UpdatedAt)
}

// UpdateClientToken implements keygate.Tx.
func (tx *Tx) UpdateClientToken(ctx context.Context, t *keygate.ClientToken) error {
	err := tx.exec(ctx, "UpdateClientToken", t.ID, t.ID, t.Name, nullString(t.Description), string(t.Status), nullTime(t.RevokedAt), utc(t.UpdatedAt))
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, t.ID, t.UpdatedAt)
}

// FindClientTokenByID implements keygate.Tx.
func (tx *Tx) FindClientTokenByID(ctx context.Context, id string) (*keygate.ClientToken, error) {
	return findOne(tx, ctx, "FindClientTokenByID", id, scanClientToken, id)
}

// FindClientTokenByToken implements keygate.Tx.
func (tx *Tx) FindClientTokenByToken(ctx context.Context, token string) (*keygate.ClientToken, error) {
	return findOne(tx, ctx, "FindClientTokenByToken", "client-side token", scanClientToken, token)
}

// FindClientTokens implements keygate.Tx.
func (tx *Tx) FindClientTokens(ctx context.Context, f keygate.ClientTokenFilter) ([]*keygate.ClientToken, int, error) {
	return findPage(tx, ctx, "FindClientTokens", f.AccountID, f.Page, scanClientToken, f.AccountID, jsonList(f.Statuses))
}

func scanClientToken(s scanner) (*keygate.ClientToken, error) {
	var t keygate.ClientToken
	var env, status string
	var desc sql.NullString
	var revoked sql.NullTime
	if err := s.Scan(&t.ID, &t.AccountID, &env, &t.Token, &t.Name, &desc, &status, &revoked, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	t.Environment, t.Status, t.Description, t.RevokedAt = keygate.Environment(env), keygate.ClientTokenStatus(status), stringPtr(desc), timePtr(revoked)
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	return &t, nil
}
