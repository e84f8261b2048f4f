package request

import (
	"encoding/json"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// APIKeyCreate is the body of POST /api-keys (keygate's extension).
type APIKeyCreate struct {
	Name        string               `json:"name"`
	Description *string              `json:"description"`
	Permissions []keygate.Permission `json:"permissions"`
	ExpiresAt   *wire.Time           `json:"expires_at"`
	Rotatable   bool                 `json:"rotatable"`
	// AllowedIPs, RateLimit and Credits are keygate's key controls.
	AllowedIPs []string            `json:"allowed_ips"`
	RateLimit  *keygate.RateLimit  `json:"rate_limit"`
	Credits    *keygate.CreditsSet `json:"credits"`
}

// ClientTokenCreate is the body of POST /client-tokens.
type ClientTokenCreate struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// NotificationSettingCreate is the body of POST /notification-settings.
type NotificationSettingCreate struct {
	Description            string                          `json:"description"`
	Destination            string                          `json:"destination"`
	SubscribedEvents       []keygate.EventType             `json:"subscribed_events"`
	Type                   keygate.NotificationSettingType `json:"type"`
	APIVersion             *int                            `json:"api_version"`
	IncludeSensitiveFields *bool                           `json:"include_sensitive_fields"`
	TrafficSource          *keygate.TrafficSource          `json:"traffic_source"`
}

// Rotation is the body of POST /api-keys/{id}/rotations (Paddle's) and
// POST /api-keys/{id}/rotate (keygate's).
type Rotation struct {
	GracePeriodSeconds *int       `json:"grace_period_seconds"`
	NewKeyExpiresAt    *wire.Time `json:"new_key_expires_at"`
}

// Seller is the body of POST /accounts and /accounts/validate.
type Seller struct {
	User struct {
		FirstName        string  `json:"first_name"`
		LastName         string  `json:"last_name"`
		Email            string  `json:"email"`
		MarketingConsent bool    `json:"marketing_consent"`
		Password         *string `json:"password"`
	} `json:"user"`
	Business json.RawMessage `json:"business"`
}

// Patch is the body of every PATCH: the fields sent, each parsed by the
// route that knows what it may change.
type Patch map[string]json.RawMessage

// All returns a new, empty value of each body type above, as a pointer to
// decode into: for tests that must cover every body the API accepts.
func All() []any {
	return []any{new(APIKeyCreate), new(ClientTokenCreate), new(NotificationSettingCreate), new(Rotation), new(Seller), new(Patch)}
}
