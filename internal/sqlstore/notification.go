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

// CreateNotificationSetting implements keygate.Tx.
func (tx *Tx) CreateNotificationSetting(ctx context.Context, s *keygate.NotificationSetting) error {
	events, _ := json.Marshal(s.SubscribedEvents) // strings always marshal
	return tx.exec(ctx, "CreateNotificationSetting", "", s.ID, s.AccountID, string(s.Environment), s.Description,
		string(s.Type), s.Destination, s.Active, s.APIVersion, s.IncludeSensitiveFields, string(events),
		string(s.TrafficSource), s.SealedSecret, utc(s.CreatedAt), utc(s.UpdatedAt))
}

// UpdateNotificationSetting implements keygate.Tx.
func (tx *Tx) UpdateNotificationSetting(ctx context.Context, s *keygate.NotificationSetting) error {
	events, _ := json.Marshal(s.SubscribedEvents)
	return tx.exec(ctx, "UpdateNotificationSetting", s.ID, s.ID, s.Description, s.Destination, s.Active,
		s.APIVersion, s.IncludeSensitiveFields, string(events), string(s.TrafficSource), utc(s.UpdatedAt))
}

// DeleteNotificationSetting implements keygate.Tx.
func (tx *Tx) DeleteNotificationSetting(ctx context.Context, id string) error {
	return tx.exec(ctx, "DeleteNotificationSetting", id, id)
}

// FindNotificationSettingByID implements keygate.Tx.
func (tx *Tx) FindNotificationSettingByID(ctx context.Context, id string) (*keygate.NotificationSetting, error) {
	return findOne(tx, ctx, "FindNotificationSettingByID", id, scanNotificationSetting, id)
}

// FindNotificationSettings implements keygate.Tx.
func (tx *Tx) FindNotificationSettings(ctx context.Context, f keygate.NotificationSettingFilter) ([]*keygate.NotificationSetting, int, error) {
	if list := tx.takePrefetched(f); list != nil {
		return list, -1, nil
	}
	var active any
	if f.Active != nil {
		active = *f.Active
	}
	return findPage(tx, ctx, "FindNotificationSettings", f.AccountID, f.Page, scanNotificationSetting, f.AccountID, active, string(f.TrafficSource))
}

func scanNotificationSetting(s scanner) (*keygate.NotificationSetting, error) {
	var n keygate.NotificationSetting
	var env, typ, events, traffic string
	err := s.Scan(&n.ID, &n.AccountID, &env, &n.Description, &typ, &n.Destination, &n.Active, &n.APIVersion,
		&n.IncludeSensitiveFields, &events, &traffic, &n.SealedSecret, &n.CreatedAt, &n.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &n.SubscribedEvents); err != nil {
		return nil, fmt.Errorf("subscribed events of %s: %w", n.ID, err)
	}
	n.Environment, n.Type, n.TrafficSource = keygate.Environment(env), keygate.NotificationSettingType(typ), keygate.TrafficSource(traffic)
	n.CreatedAt, n.UpdatedAt = utc(n.CreatedAt), utc(n.UpdatedAt)
	return &n, nil
}

// CreateNotification implements keygate.Tx.
func (tx *Tx) CreateNotification(ctx context.Context, n *keygate.Notification) error {
	if tx.flusher != nil && n.DeliveredAt == nil && n.ReplayedAt == nil && n.LastAttemptAt == nil {
		tx.notifications = append(tx.notifications, n) // not attempted yet: written with the next statement
		return nil
	}
	return tx.exec(ctx, "CreateNotification", "", n.ID, n.AccountID, string(n.Environment), n.SettingID, n.EventID,
		string(n.Type), string(n.Status), string(n.Origin), string(n.Payload), utc(n.OccurredAt), nullTime(n.DeliveredAt),
		nullTime(n.ReplayedAt), nullTime(n.LastAttemptAt), nullTime(n.RetryAt), n.TimesAttempted, utc(n.CreatedAt))
}

// UpdateNotification implements keygate.Tx.
func (tx *Tx) UpdateNotification(ctx context.Context, n *keygate.Notification) error {
	return tx.exec(ctx, "UpdateNotification", n.ID, n.ID, string(n.Status), nullTime(n.DeliveredAt),
		nullTime(n.ReplayedAt), nullTime(n.LastAttemptAt), nullTime(n.RetryAt), n.TimesAttempted)
}

// FindNotificationByID implements keygate.Tx.
func (tx *Tx) FindNotificationByID(ctx context.Context, id string) (*keygate.Notification, error) {
	return findOne(tx, ctx, "FindNotificationByID", id, scanNotification, id)
}

// FindNotifications implements keygate.Tx.
func (tx *Tx) FindNotifications(ctx context.Context, f keygate.NotificationFilter) ([]*keygate.Notification, int, error) {
	return findPage(tx, ctx, "FindNotifications", f.AccountID, f.Page, scanNotification, f.AccountID, f.SettingID, jsonList(f.Statuses))
}

// ClaimNotifications implements keygate.Tx.
func (tx *Tx) ClaimNotifications(ctx context.Context, now, until time.Time, limit int, skip []string) ([]*keygate.Notification, error) {
	if skip == nil {
		skip = []string{}
	}
	skipJSON, err := json.Marshal(skip)
	if err != nil {
		return nil, tx.db.internal("ClaimNotifications", err)
	}
	rows, err := tx.tx.QueryContext(ctx, tx.query("ClaimNotifications"), utc(now), utc(until), limit, string(skipJSON))
	if err != nil {
		return nil, tx.translate("ClaimNotifications", err)
	}
	list, err := collect(rows, scanNotification)
	if err != nil {
		return nil, tx.translate("ClaimNotifications", err)
	}
	return list, nil
}

func scanNotification(s scanner) (*keygate.Notification, error) {
	var n keygate.Notification
	var env, typ, status, origin string
	var payload []byte
	var delivered, replayed, attempted, retry sql.NullTime
	err := s.Scan(&n.ID, &n.AccountID, &env, &n.SettingID, &n.EventID, &typ, &status, &origin, &payload, &n.OccurredAt,
		&delivered, &replayed, &attempted, &retry, &n.TimesAttempted, &n.CreatedAt)
	if err != nil {
		return nil, err
	}
	n.Environment, n.Type, n.Status, n.Origin = keygate.Environment(env), keygate.EventType(typ), keygate.NotificationStatus(status), keygate.NotificationOrigin(origin)
	n.Payload = payload
	n.DeliveredAt, n.ReplayedAt, n.LastAttemptAt, n.RetryAt = timePtr(delivered), timePtr(replayed), timePtr(attempted), timePtr(retry)
	n.OccurredAt, n.CreatedAt = utc(n.OccurredAt), utc(n.CreatedAt)
	return &n, nil
}

// CreateNotificationLog implements keygate.Tx.
func (tx *Tx) CreateNotificationLog(ctx context.Context, l *keygate.NotificationLog) error {
	return tx.exec(ctx, "CreateNotificationLog", "", l.ID, l.NotificationID, l.AccountID, l.ResponseCode,
		nullString(l.ResponseContentType), l.ResponseBody, utc(l.AttemptedAt))
}

// FindNotificationLogs implements keygate.Tx.
func (tx *Tx) FindNotificationLogs(ctx context.Context, notificationID string, p keygate.Page) ([]*keygate.NotificationLog, int, error) {
	return findPage(tx, ctx, "FindNotificationLogs", notificationID, p, func(s scanner) (*keygate.NotificationLog, error) {
		var l keygate.NotificationLog
		var ct sql.NullString
		if err := s.Scan(&l.ID, &l.NotificationID, &l.AccountID, &l.ResponseCode, &ct, &l.ResponseBody, &l.AttemptedAt); err != nil {
			return nil, err
		}
		l.ResponseContentType, l.AttemptedAt = stringPtr(ct), utc(l.AttemptedAt)
		return &l, nil
	}, notificationID)
}

// FindEventByID implements keygate.Tx.
func (tx *Tx) FindEventByID(ctx context.Context, id string) (*keygate.Event, error) {
	return findOne(tx, ctx, "FindEventByID", id, scanEvent, id)
}

// FindAPIKeysExpiryDue implements keygate.Tx.
func (tx *Tx) FindAPIKeysExpiryDue(ctx context.Context, now, noticeBefore time.Time, limit int) ([]*keygate.APIKey, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.query("FindAPIKeysExpiryDue"), utc(now), utc(noticeBefore), limit)
	if err != nil {
		return nil, tx.translate("FindAPIKeysExpiryDue", err)
	}
	list, err := collect(rows, tx.scanAPIKey)
	if err != nil {
		return nil, tx.translate("FindAPIKeysExpiryDue", err)
	}
	return list, nil
}

// findOne runs a query for one row; no row is keygate.NotFound(id).
func findOne[T any](tx *Tx, ctx context.Context, name, id string, scan func(scanner) (*T, error), args ...any) (*T, error) {
	if tx.flusher != nil {
		return findOnePipelined(tx, ctx, name, id, scan, args...)
	}
	v, err := scan(tx.tx.QueryRowContext(ctx, tx.query(name), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, keygate.NotFound(id)
	} else if err != nil {
		return nil, tx.translate(name, err)
	}
	return v, nil
}

// findPage runs the Asc or Desc form of list query name with args, then the
// cursor and the page size, and its Count query with args; scope must not
// be empty (lists are always within an account or a parent).
func findPage[T any](tx *Tx, ctx context.Context, name, scope string, p keygate.Page, scan func(scanner) (*T, error), args ...any) ([]*T, int, error) {
	if scope == "" {
		return nil, 0, tx.db.internal(name, errors.New("no scope in filter"))
	}
	query, after := listQuery(name, p)
	rows, err := tx.tx.QueryContext(ctx, tx.query(query), append(args, after, p.Size())...)
	if err != nil {
		return nil, 0, tx.translate(query, err)
	}
	list, err := collect(rows, scan)
	if err != nil {
		return nil, 0, tx.translate(query, err)
	}
	total, err := tx.count(ctx, "Count"+name[len("Find"):], p, args...)
	return list, total, err
}
