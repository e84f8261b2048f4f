package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate"
)

// CreateAPIKey implements keygate.Tx.
func (tx *Tx) CreateAPIKey(ctx context.Context, k *keygate.APIKey) error {
	perms, err := permissionsJSON(k)
	if err != nil {
		return tx.db.internal("CreateAPIKey", err)
	}
	c, err := controlColumns(k)
	if err != nil {
		return tx.db.internal("CreateAPIKey", err)
	}
	err = tx.exec(ctx, "CreateAPIKey", "",
		k.ID, k.AccountID, string(k.Environment), k.Name, nullString(k.Description), string(k.Status),
		perms, k.Rotatable, k.Legacy, k.SecretHash, nullTime(k.ExposedAt), nullTime(k.ExpiresAt),
		nullTime(k.LastUsedAt), nullTime(k.RevokedAt), string(k.RevokedBy), utc(k.CreatedAt), utc(k.UpdatedAt),
		nullTime(k.ExpiringNoticeAt), c.allowedIPs, c.rateLimit, c.remaining, c.credits)
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, k.ID, k.UpdatedAt)
}

// UpdateAPIKey implements keygate.Tx.
func (tx *Tx) UpdateAPIKey(ctx context.Context, k *keygate.APIKey) error {
	perms, err := permissionsJSON(k)
	if err != nil {
		return tx.db.internal("UpdateAPIKey", err)
	}
	c, err := controlColumns(k)
	if err != nil {
		return tx.db.internal("UpdateAPIKey", err)
	}
	err = tx.exec(ctx, "UpdateAPIKey", k.ID,
		k.ID, k.Name, nullString(k.Description), string(k.Status), perms, k.SecretHash,
		nullTime(k.ExposedAt), nullTime(k.ExpiresAt), nullTime(k.RevokedAt), string(k.RevokedBy), utc(k.UpdatedAt),
		nullTime(k.ExpiringNoticeAt), c.allowedIPs, c.rateLimit, c.remaining, c.credits)
	if err != nil {
		return err
	}
	return tx.recordChange(ctx, k.ID, k.UpdatedAt)
}

// UpdateAPIKeyCredits implements keygate.Tx.
func (tx *Tx) UpdateAPIKeyCredits(ctx context.Context, k *keygate.APIKey) error {
	c, err := controlColumns(k)
	if err != nil {
		return tx.db.internal("UpdateAPIKeyCredits", err)
	}
	return tx.exec(ctx, "UpdateAPIKeyCredits", k.ID, k.ID, c.remaining, c.credits)
}

// FindAPIKeyByID implements keygate.Tx. In an Update transaction the row is
// locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's writer is exclusive).
func (tx *Tx) FindAPIKeyByID(ctx context.Context, id string) (*keygate.APIKey, error) {
	name := "FindAPIKeyByID"
	if tx.write {
		name = "FindAPIKeyByIDForUpdate"
	}
	return tx.findAPIKey(ctx, name, id, id)
}

// FindAPIKeyCredential implements keygate.Tx.
func (tx *Tx) FindAPIKeyCredential(ctx context.Context, id string) (*keygate.APIKey, error) {
	return findOne(tx, ctx, "FindAPIKeyCredential", id, scanAPIKeyCredential, id)
}

// EachRecentAPIKey implements keygate.Tx: one statement whose rows are
// passed to fn as they are read, so that memory does not grow with limit.
func (tx *Tx) EachRecentAPIKey(ctx context.Context, now time.Time, limit int, fn func(*keygate.APIKey) error) error {
	const name = "FindRecentAPIKeys"
	rows, err := tx.tx.QueryContext(ctx, tx.query(name), utc(now), limit)
	if err != nil {
		return tx.translate(name, err)
	}
	defer rows.Close()
	for rows.Next() {
		k, err := tx.scanAPIKey(rows)
		if err != nil {
			return tx.translate(name, err)
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return tx.translateIf(name, rows.Err())
}

// FindAPIKeyByHash implements keygate.Tx.
func (tx *Tx) FindAPIKeyByHash(ctx context.Context, env keygate.Environment, hash []byte) (*keygate.APIKey, error) {
	return tx.findAPIKey(ctx, "FindAPIKeyByHash", "", string(env), hash)
}

func (tx *Tx) findAPIKey(ctx context.Context, name, id string, args ...any) (*keygate.APIKey, error) {
	if tx.flusher != nil && name == "FindAPIKeyByIDForUpdate" {
		return tx.findAPIKeyPipelined(ctx, name, id)
	}
	k, err := tx.scanAPIKey(tx.tx.QueryRowContext(ctx, tx.query(name), args...))
	if errors.Is(err, sql.ErrNoRows) {
		if id == "" {
			return nil, keygate.Errorf(keygate.CodeNotFound, "API key not found.")
		}
		return nil, keygate.NotFound(id)
	} else if err != nil {
		return nil, tx.translate(name, err)
	}
	return k, nil
}

// FindAPIKeys implements keygate.Tx.
func (tx *Tx) FindAPIKeys(ctx context.Context, f keygate.APIKeyFilter) ([]*keygate.APIKey, int, error) {
	return findPage(tx, ctx, "FindAPIKeys", f.AccountID, f.Page, tx.scanAPIKey, f.AccountID, jsonList(f.IDs), jsonList(f.Statuses), utc(f.Now))
}

// scanAPIKey scans an API key and gives it the database's key prefix.
func (tx *Tx) scanAPIKey(s scanner) (*keygate.APIKey, error) {
	k, err := scanAPIKey(s)
	if err == nil {
		k.KeyPrefix = tx.db.prefix()
	}
	return k, err
}

// scanAPIKey scans the columns every API-key query selects, in this order.
func scanAPIKey(s scanner) (*keygate.APIKey, error) {
	var k keygate.APIKey
	var env, status, revokedBy string
	var desc, perms sql.NullString
	var exposed, expires, lastUsed, revoked, noticed sql.NullTime
	var c controls
	err := s.Scan(&k.ID, &k.AccountID, &env, &k.Name, &desc, &status, &perms, &k.Rotatable, &k.Legacy,
		&k.SecretHash, &exposed, &expires, &lastUsed, &revoked, &revokedBy, &k.CreatedAt, &k.UpdatedAt, &noticed,
		&c.ips, &c.rate, &c.remaining, &c.credits)
	if err != nil {
		return nil, err
	}
	if err := decodeAPIKey(&k, c, perms); err != nil {
		return nil, err
	}
	k.Environment, k.Status, k.RevokedBy = keygate.Environment(env), keygate.APIKeyStatus(status), keygate.Revoker(revokedBy)
	k.Description = stringPtr(desc)
	k.ExposedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = timePtr(exposed), timePtr(expires), timePtr(lastUsed), timePtr(revoked)
	k.ExpiringNoticeAt = timePtr(noticed)
	k.CreatedAt, k.UpdatedAt = utc(k.CreatedAt), utc(k.UpdatedAt)
	return &k, nil
}

// scanAPIKeyCredential scans the columns FindAPIKeyCredential selects.
func scanAPIKeyCredential(s scanner) (*keygate.APIKey, error) {
	var k keygate.APIKey
	var env, status string
	var perms sql.NullString
	var expires sql.NullTime
	var c controls
	if err := s.Scan(&k.ID, &k.AccountID, &env, &status, &perms, &k.Rotatable, &k.Legacy, &k.SecretHash, &expires,
		&c.ips, &c.rate, &c.remaining, &c.credits); err != nil {
		return nil, err
	}
	if err := decodeAPIKey(&k, c, perms); err != nil {
		return nil, err
	}
	k.Environment, k.Status, k.ExpiresAt = keygate.Environment(env), keygate.APIKeyStatus(status), timePtr(expires)
	return &k, nil
}

// decodeAPIKey sets k's controls and permissions from their columns.
func decodeAPIKey(k *keygate.APIKey, c controls, perms sql.NullString) error {
	if err := c.decode(k); err != nil {
		return fmt.Errorf("controls of %s: %w", k.ID, err)
	}
	if perms.Valid {
		if err := json.Unmarshal([]byte(perms.String), &k.Permissions); err != nil {
			return fmt.Errorf("permissions of %s: %w", k.ID, err)
		}
	}
	return nil
}

// permissionsJSON returns the stored form of k's permissions: a JSON array,
// or NULL for a legacy key.
func permissionsJSON(k *keygate.APIKey) (any, error) {
	if k.Legacy {
		return nil, nil
	}
	if k.Permissions == nil {
		return "[]", nil
	}
	b, err := json.Marshal(k.Permissions)
	return string(b), err
}
