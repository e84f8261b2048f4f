// Package wire defines the JSON shapes in which keygate shows its entities:
// Paddle's, field for field, so that Paddle's SDKs read them. The API
// serves them, events snapshot them, and the CLI prints them with --json,
// so all three always agree.
package wire

import (
	"encoding/json"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// TimeFormat is how times are written: RFC 3339 in UTC with microseconds, as
// Paddle writes them ("2024-04-11T16:03:57.924146Z").
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Time is a time that marshals in TimeFormat.
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeFormat) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler; it takes any RFC 3339 time.
func (t *Time) UnmarshalJSON(b []byte) error {
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Time(tt.UTC())
	return nil
}

// timePtr converts a nullable time.
func timePtr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	w := Time(*t)
	return &w
}

// APIKey is Paddle's api_key entity.
type APIKey struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Status      string   `json:"status"`
	Key         string   `json:"key"`
	Permissions []string `json:"permissions"`
	Rotatable   bool     `json:"rotatable"`
	ExposedAt   *Time    `json:"exposed_at"`
	ExpiresAt   *Time    `json:"expires_at"`
	LastUsedAt  *Time    `json:"last_used_at"`
	CreatedAt   Time     `json:"created_at"`
	UpdatedAt   Time     `json:"updated_at"`
	// AllowedIPs, RateLimit and Credits are keygate's extensions, present
	// only on keys that have them, so that other keys are exactly Paddle's
	// entity.
	AllowedIPs []string           `json:"allowed_ips,omitempty"`
	RateLimit  *keygate.RateLimit `json:"rate_limit,omitempty"`
	Credits    *Credits           `json:"credits,omitempty"`
}

// Credits is a key's credit balance as the API shows it: the balance the
// nodes have shared (it lags their counts by at most a share interval), its
// refill, and when the next refill is.
type Credits struct {
	Remaining    int64                 `json:"remaining"`
	Refill       *keygate.CreditRefill `json:"refill"`
	NextRefillAt *Time                 `json:"next_refill_at"`
}

// UsageThreshold is the data of api_key.usage_threshold: which threshold
// of its credits a key reached, and the key.
type UsageThreshold struct {
	// Threshold is the percentage of the key's granted credits used: 80 or
	// 100.
	Threshold int     `json:"threshold"`
	Remaining int64   `json:"remaining"`
	Granted   int64   `json:"granted"`
	APIKey    *APIKey `json:"api_key"`
}

// NewAPIKey returns k as the API shows it at now: its status evaluated at
// now and its key obfuscated. Legacy keys have permissions null.
func NewAPIKey(k *keygate.APIKey, now time.Time) *APIKey {
	w := &APIKey{
		ID: k.ID, Name: k.Name, Description: k.Description, Status: string(k.StatusAt(now)),
		Rotatable: k.Rotatable, ExposedAt: timePtr(k.ExposedAt), ExpiresAt: timePtr(k.ExpiresAt),
		LastUsedAt: timePtr(k.LastUsedAt), CreatedAt: Time(k.CreatedAt), UpdatedAt: Time(k.UpdatedAt),
	}
	w.controls(k)
	if k.Legacy {
		w.Key = credential.ObfuscateLegacy(k.ID)
		return w
	}
	w.Key = credential.Obfuscate(k.KeyPrefix, credential.EnvFromName(string(k.Environment)), k.ID)
	w.Permissions = make([]string, len(k.Permissions))
	for i, p := range k.Permissions {
		w.Permissions[i] = string(p)
	}
	return w
}

// controls adds k's controls to w.
func (w *APIKey) controls(k *keygate.APIKey) {
	for _, p := range k.AllowedIPs {
		w.AllowedIPs = append(w.AllowedIPs, p.String())
	}
	w.RateLimit = k.RateLimit
	if c := k.Credits; c != nil {
		w.Credits = &Credits{Remaining: c.Remaining, Refill: c.Refill}
		if next := c.NextRefill(); !next.IsZero() {
			w.Credits.NextRefillAt = (*Time)(&next)
		}
	}
}

// Account is keygate's account (seller) as its CLI and admin API show it.
type Account struct {
	ID          string `json:"id"`
	Environment string `json:"environment"`
	Name        string `json:"name"`
	CreatedAt   Time   `json:"created_at"`
	UpdatedAt   Time   `json:"updated_at"`
}

// NewAccount returns a as it is shown.
func NewAccount(a *keygate.Account) *Account {
	return &Account{ID: a.ID, Environment: string(a.Environment), Name: a.Name, CreatedAt: Time(a.CreatedAt), UpdatedAt: Time(a.UpdatedAt)}
}

// User is a dashboard user as the CLI shows it; never with its password hash.
type User struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	CreatedAt Time   `json:"created_at"`
}

// NewUser returns u as it is shown.
func NewUser(u *keygate.User) *User {
	return &User{ID: u.ID, AccountID: u.AccountID, Email: u.Email, CreatedAt: Time(u.CreatedAt)}
}

// Event is Paddle's event entity, as GET /events lists it.
type Event struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	OccurredAt Time   `json:"occurred_at"`
	Data       any    `json:"data"`
}

// Webhook is the body of a notification, as Paddle delivers it.
type Webhook struct {
	EventID        string          `json:"event_id"`
	EventType      string          `json:"event_type"`
	OccurredAt     Time            `json:"occurred_at"`
	NotificationID string          `json:"notification_id"`
	Data           json.RawMessage `json:"data"`
}

// NotificationSetting is Paddle's notification_setting entity. Secret is
// the endpoint_secret_key.
type NotificationSetting struct {
	ID                     string      `json:"id"`
	Description            string      `json:"description"`
	Type                   string      `json:"type"`
	Destination            string      `json:"destination"`
	Active                 bool        `json:"active"`
	APIVersion             int         `json:"api_version"`
	IncludeSensitiveFields bool        `json:"include_sensitive_fields"`
	SubscribedEvents       []EventType `json:"subscribed_events"`
	EndpointSecretKey      string      `json:"endpoint_secret_key"`
	TrafficSource          string      `json:"traffic_source"`
}

// EventType is Paddle's event type object.
type EventType struct {
	Name              string `json:"name"`
	Description       string `json:"description"`
	Group             string `json:"group"`
	AvailableVersions []int  `json:"available_versions"`
}

// NewEventType returns e as it is shown.
func NewEventType(e keygate.EventTypeInfo) EventType {
	return EventType{Name: string(e.Name), Description: e.Description, Group: e.Group, AvailableVersions: e.AvailableVersions}
}

// NewNotificationSetting returns s as it is shown, with its secret.
func NewNotificationSetting(s *keygate.NotificationSetting) *NotificationSetting {
	w := &NotificationSetting{
		ID: s.ID, Description: s.Description, Type: string(s.Type), Destination: s.Destination, Active: s.Active,
		APIVersion: s.APIVersion, IncludeSensitiveFields: s.IncludeSensitiveFields, EndpointSecretKey: s.Secret,
		TrafficSource: string(s.TrafficSource), SubscribedEvents: []EventType{},
	}
	for _, name := range s.SubscribedEvents {
		for _, e := range keygate.EventTypes {
			if e.Name == name {
				w.SubscribedEvents = append(w.SubscribedEvents, NewEventType(e))
			}
		}
	}
	return w
}

// Notification is Paddle's notification entity.
type Notification struct {
	ID                    string          `json:"id"`
	Type                  string          `json:"type"`
	Status                string          `json:"status"`
	Payload               json.RawMessage `json:"payload"`
	OccurredAt            Time            `json:"occurred_at"`
	DeliveredAt           *Time           `json:"delivered_at"`
	ReplayedAt            *Time           `json:"replayed_at"`
	Origin                string          `json:"origin"`
	LastAttemptAt         *Time           `json:"last_attempt_at"`
	RetryAt               *Time           `json:"retry_at"`
	TimesAttempted        int             `json:"times_attempted"`
	NotificationSettingID string          `json:"notification_setting_id"`
}

// NewNotification returns n as it is shown.
func NewNotification(n *keygate.Notification) *Notification {
	return &Notification{
		ID: n.ID, Type: string(n.Type), Status: string(n.Status), Payload: n.Payload, OccurredAt: Time(n.OccurredAt),
		DeliveredAt: timePtr(n.DeliveredAt), ReplayedAt: timePtr(n.ReplayedAt), Origin: string(n.Origin),
		LastAttemptAt: timePtr(n.LastAttemptAt), RetryAt: timePtr(n.RetryAt), TimesAttempted: n.TimesAttempted,
		NotificationSettingID: n.SettingID,
	}
}

// NotificationLog is Paddle's notification log entity.
type NotificationLog struct {
	ID                  string  `json:"id"`
	ResponseCode        int     `json:"response_code"`
	ResponseContentType *string `json:"response_content_type"`
	ResponseBody        string  `json:"response_body"`
	AttemptedAt         Time    `json:"attempted_at"`
}

// NewNotificationLog returns l as it is shown.
func NewNotificationLog(l *keygate.NotificationLog) *NotificationLog {
	return &NotificationLog{ID: l.ID, ResponseCode: l.ResponseCode, ResponseContentType: l.ResponseContentType, ResponseBody: l.ResponseBody, AttemptedAt: Time(l.AttemptedAt)}
}

// ClientToken is Paddle's client-side token entity, token in full.
type ClientToken struct {
	ID          string  `json:"id"`
	Token       string  `json:"token"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Status      string  `json:"status"`
	RevokedAt   *Time   `json:"revoked_at"`
	CreatedAt   Time    `json:"created_at"`
	UpdatedAt   Time    `json:"updated_at"`
}

// NewClientToken returns t as it is shown.
func NewClientToken(t *keygate.ClientToken) *ClientToken {
	return &ClientToken{ID: t.ID, Token: t.Token, Name: t.Name, Description: t.Description, Status: string(t.Status),
		RevokedAt: timePtr(t.RevokedAt), CreatedAt: Time(t.CreatedAt), UpdatedAt: Time(t.UpdatedAt)}
}
