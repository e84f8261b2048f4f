package sqlstore

import "context"

// settingKeyPrefix names the key prefix in keygate_settings.
const settingKeyPrefix = "key_prefix"

// KeyPrefix implements keygate.Store: it records want as the database's key
// prefix unless one is recorded already, and returns the recorded one.
func (db *DB) KeyPrefix(ctx context.Context, want string) (string, error) {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return "", db.internal("begin transaction", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, db.dialect.Queries["InitSetting"], settingKeyPrefix, want); err != nil {
		return "", db.internal("InitSetting", err)
	}
	var got string
	err = tx.QueryRowContext(ctx, db.dialect.Queries["FindSetting"], settingKeyPrefix).Scan(&got)
	if err != nil {
		return "", db.internal("FindSetting", err)
	}
	if err := tx.Commit(); err != nil {
		return "", db.internal("commit", err)
	}
	db.keyPrefix.Store(got)
	return got, nil
}

// prefix returns the recorded key prefix, or "" (the default) before
// KeyPrefix has read it.
func (db *DB) prefix() string {
	p, _ := db.keyPrefix.Load().(string)
	return p
}
