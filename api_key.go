package keygate

import (
	"net/netip"
	"time"
)

// APIKeyStatus is the status of an API key, as Paddle's API shows it.
type APIKeyStatus string

// The statuses of an API key. The dashboard shows finer labels (see
// APIKey.Label); the API shows only these.
const (
	APIKeyActive  APIKeyStatus = "active"
	APIKeyExpired APIKeyStatus = "expired"
	APIKeyRevoked APIKeyStatus = "revoked"
)

// Revoker says who revoked a key, which decides whether it may come back.
type Revoker string

// The revokers of a key.
const (
	// RevokedByUser is a person (or an API call on their behalf): the key may
	// be reactivated for ReactivationWindow.
	RevokedByUser Revoker = "user"
	// RevokedBySystem is keygate itself, after a high-risk exposure: the key
	// never comes back.
	RevokedBySystem Revoker = "system"
)

// Lifecycle rules of API keys, from Paddle's documentation.
const (
	// DefaultKeyLifetime is the expiry of a key created without one.
	DefaultKeyLifetime = 90 * 24 * time.Hour
	// ReactivationWindow is how long after a user revoked a key it may be
	// reactivated. At exactly ReactivationWindow it no longer may.
	ReactivationWindow = 60 * time.Minute
	// ExpiringNotice is how long before expiry api_key.expiring fires, and the
	// dashboard says "Expiring soon".
	ExpiringNotice = 7 * 24 * time.Hour
	// KeyNameMaxLen and KeyDescriptionMaxLen bound a key's texts.
	KeyNameMaxLen        = 150
	KeyDescriptionMaxLen = 250
)

// MaxKeyExpiry returns the latest expiry a key created at now may have: one
// calendar year later.
func MaxKeyExpiry(now time.Time) time.Time { return now.AddDate(1, 0, 0) }

// APIKey is an API key: every field of Paddle's api_key entity, plus what
// keygate needs to enforce the rules. The secret itself is never held; only
// its SHA-256.
type APIKey struct {
	ID          string // "apikey_…"
	AccountID   string
	Environment Environment
	Name        string
	Description *string
	// Status is the stored status. A key past ExpiresAt is expired whatever
	// this says; use StatusAt.
	Status APIKeyStatus
	// Permissions are the key's permissions as chosen; nil for legacy keys,
	// which have every permission.
	Permissions []Permission
	Rotatable   bool
	// Legacy marks an imported pre-2025 key: no permissions, no expiry, no
	// reactivation.
	Legacy     bool
	SecretHash []byte // SHA-256 of the secret (of the whole key for legacy keys)
	// KeyPrefix is the marker its key starts with, the deployment's
	// (KEYGATE_KEY_PREFIX); "" means credential.DefaultKeyPrefix. It is the
	// database's, not stored per key: the store fills it in.
	KeyPrefix  string
	ExposedAt  *time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	RevokedBy  Revoker // "" unless revoked
	// AllowedIPs are the networks the key may be used from; nil for any
	// (keygate's extension, as are RateLimit and Credits).
	AllowedIPs []netip.Prefix
	// RateLimit bounds the key's requests per period; nil for no bound but
	// the API's per-IP limit.
	RateLimit *RateLimit
	// Credits is the key's balance of uses; nil for unlimited.
	Credits *Credits
	// ExpiringNoticeAt is when api_key.expiring was written; nil until then.
	ExpiringNoticeAt *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// StatusAt returns the key's status at now: a key at or past its expiry is
// expired, whatever its stored status says, unless it was revoked first.
func (k *APIKey) StatusAt(now time.Time) APIKeyStatus {
	if k.Status == APIKeyActive && k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return APIKeyExpired
	}
	return k.Status
}

// PermissionSet returns the key's permissions as a set; every permission for
// a legacy key.
func (k *APIKey) PermissionSet() PermissionSet {
	if k.Legacy {
		return AllPermissionSet
	}
	return NewPermissionSet(k.Permissions)
}

// CanReactivate returns nil if the key may be reactivated at now, or a
// CodeCannotReactivate error saying why not. Only a standard key revoked by a
// user less than ReactivationWindow ago, and not past its expiry, may.
func (k *APIKey) CanReactivate(now time.Time) error {
	switch {
	case k.Status != APIKeyRevoked:
		return Errorf(CodeCannotReactivate, "API key %s is not revoked.", k.ID)
	case k.Legacy:
		return Errorf(CodeCannotReactivate, "API key %s is a legacy key; legacy keys can't be reactivated.", k.ID)
	case k.RevokedBy != RevokedByUser:
		return Errorf(CodeCannotReactivate, "API key %s was revoked by keygate after an exposure and can't be reactivated.", k.ID)
	case k.RevokedAt == nil || now.Sub(*k.RevokedAt) >= ReactivationWindow:
		return Errorf(CodeCannotReactivate, "API key %s was revoked more than 60 minutes ago and can't be reactivated.", k.ID)
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return Errorf(CodeCannotReactivate, "API key %s has expired and can't be reactivated.", k.ID)
	}
	return nil
}

// Revoke marks the key revoked at now by by. A key that is already revoked
// or expired can't be revoked: CodeConflict.
func (k *APIKey) Revoke(now time.Time, by Revoker) error {
	switch k.StatusAt(now) {
	case APIKeyRevoked:
		return Errorf(CodeConflict, "API key %s is already revoked.", k.ID)
	case APIKeyExpired:
		return Errorf(CodeConflict, "API key %s has expired and can't be revoked.", k.ID)
	}
	k.Status, k.RevokedAt, k.RevokedBy, k.UpdatedAt = APIKeyRevoked, &now, by, now
	return nil
}

// Reactivate makes a recently revoked key active again, if CanReactivate
// allows it.
func (k *APIKey) Reactivate(now time.Time) error {
	if err := k.CanReactivate(now); err != nil {
		return err
	}
	k.Status, k.RevokedAt, k.RevokedBy, k.UpdatedAt = APIKeyActive, nil, "", now
	return nil
}

// Label is the status the dashboard shows at now: Active, Expiring soon,
// Expired, Recently revoked or Revoked.
func (k *APIKey) Label(now time.Time) string {
	switch k.StatusAt(now) {
	case APIKeyExpired:
		return "Expired"
	case APIKeyRevoked:
		if k.CanReactivate(now) == nil {
			return "Recently revoked"
		}
		return "Revoked"
	}
	if k.ExpiresAt != nil && k.ExpiresAt.Sub(now) <= ExpiringNotice {
		return "Expiring soon"
	}
	return "Active"
}

// ExpiringNoticeDue reports whether api_key.expiring is due at now: the key
// is active, expires within ExpiringNotice, and was not noticed yet. It is
// due even past the expiry (after downtime, late rather than never).
func (k *APIKey) ExpiringNoticeDue(now time.Time) bool {
	return k.Status == APIKeyActive && k.ExpiresAt != nil && k.ExpiringNoticeAt == nil &&
		!now.Before(k.ExpiresAt.Add(-ExpiringNotice))
}

// ExpiryDue reports whether the key's stored status must become expired:
// it is stored active and its expiry has come.
func (k *APIKey) ExpiryDue(now time.Time) bool {
	return k.Status == APIKeyActive && k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}
