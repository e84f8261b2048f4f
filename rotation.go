package keygate

import "time"

// RotationStatus is the status of an API key rotation, as Paddle shows it.
type RotationStatus string

// The statuses of a rotation.
const (
	// RotationPending: the new secret was issued and has not authenticated a
	// request yet. Both secrets work; the old one without limit.
	RotationPending RotationStatus = "pending"
	// RotationCompleted: the new secret authenticated a request and is the
	// key's secret; the old one works until ExpiresAt.
	RotationCompleted RotationStatus = "completed"
	// RotationCanceled: a newer rotation superseded this one before its new
	// secret was used; that secret never works.
	RotationCanceled RotationStatus = "canceled"
)

// MaxGracePeriod is the longest grace period a rotation may give the old
// secret: 86,400 seconds, as Paddle's API allows.
const MaxGracePeriod = 86400

// APIKeyRotation is a rotation of an API key's secret (Paddle's
// api_key_rotation, "apkrot_…"). Neither secret is held; only the SHA-256 of
// each, so the full new key exists only in the response that created it.
type APIKeyRotation struct {
	ID          string // "apkrot_…"
	APIKeyID    string
	AccountID   string
	Environment Environment
	// NewHash is the SHA-256 of the new secret; OldHash of the secret it
	// replaces, which keeps working during the grace period.
	NewHash            []byte
	OldHash            []byte
	GracePeriodSeconds int
	// NewKeyExpiresAt, if set, becomes the key's expiry on completion.
	NewKeyExpiresAt *time.Time
	Status          RotationStatus
	// ExpiresAt is when the old secret stops: completion plus the grace
	// period; nil until completed.
	ExpiresAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// KeyPrefix is its key's (see APIKey.KeyPrefix); the store fills it in.
	KeyPrefix string
}

// APIKeyRotationCreate is what rotating a key takes.
type APIKeyRotationCreate struct {
	// GracePeriodSeconds is required: 0 to MaxGracePeriod.
	GracePeriodSeconds *int
	// NewKeyExpiresAt is optional: after now and at most one year from now.
	NewKeyExpiresAt *time.Time
}

// Validate checks c at now, reporting every bad field at once.
func (c APIKeyRotationCreate) Validate(now time.Time) error {
	var v validation
	switch g := c.GracePeriodSeconds; {
	case g == nil:
		v.add("grace_period_seconds", "must be provided as part of the request")
	case *g < 0 || *g > MaxGracePeriod:
		v.add("grace_period_seconds", "must be a whole number of seconds from 0 to %d", MaxGracePeriod)
	}
	if e := c.NewKeyExpiresAt; e != nil && !e.After(now) {
		v.add("new_key_expires_at", "must be in the future")
	} else if e != nil && e.After(MaxKeyExpiry(now)) {
		v.add("new_key_expires_at", "must be no more than one year from now")
	}
	return v.err()
}

// CanRotate returns nil if the key may rotate at now: it was created
// rotatable (else CodeCannotBeRotated) and is active (else CodeConflict: an
// expired or revoked key never rotates).
func (k *APIKey) CanRotate(now time.Time) error {
	if !k.Rotatable || k.Legacy {
		return Errorf(CodeCannotBeRotated, "This API key doesn't support rotation.")
	}
	switch k.StatusAt(now) {
	case APIKeyRevoked:
		return Errorf(CodeConflict, "API key %s is revoked and can't be rotated.", k.ID)
	case APIKeyExpired:
		return Errorf(CodeConflict, "API key %s has expired and can't be rotated.", k.ID)
	}
	return nil
}

// Complete completes a pending rotation of k at now, the moment its new
// secret first authenticated: the new secret becomes the key's, the old one
// works for the grace period, and a new expiry, if the rotation set one,
// becomes the key's (with its api_key.expiring notice due anew). It reports
// whether the key's expiry changed, for which api_key.updated is due. A
// rotation that is not pending is CodeConflict.
func (r *APIKeyRotation) Complete(now time.Time, k *APIKey) (expiryChanged bool, err error) {
	if r.Status != RotationPending {
		return false, Errorf(CodeConflict, "Rotation %s is %s, not pending.", r.ID, r.Status)
	}
	until := now.Add(time.Duration(r.GracePeriodSeconds) * time.Second)
	r.Status, r.ExpiresAt, r.UpdatedAt = RotationCompleted, &until, now
	k.SecretHash, k.UpdatedAt = r.NewHash, now
	if r.NewKeyExpiresAt != nil && (k.ExpiresAt == nil || !k.ExpiresAt.Equal(*r.NewKeyExpiresAt)) {
		exp := *r.NewKeyExpiresAt
		k.ExpiresAt, k.ExpiringNoticeAt = &exp, nil
		expiryChanged = true
	}
	return expiryChanged, nil
}

// Supersede ends what a newer rotation replaces at now: a pending rotation
// is canceled, and a completed one whose grace is still running has it end
// now. It reports whether r changed (api_key_rotation.updated is due).
func (r *APIKeyRotation) Supersede(now time.Time) bool {
	switch {
	case r.Status == RotationPending:
		r.Status, r.UpdatedAt = RotationCanceled, now
		return true
	case r.OldSecretValidAt(now):
		r.ExpiresAt, r.UpdatedAt = &now, now
		return true
	}
	return false
}

// OldSecretValidAt reports whether the secret this rotation replaced still
// authenticates at now: the rotation completed and its grace has not ended.
// At exactly ExpiresAt it no longer does.
func (r *APIKeyRotation) OldSecretValidAt(now time.Time) bool {
	return r.Status == RotationCompleted && r.ExpiresAt != nil && now.Before(*r.ExpiresAt)
}

// APIKeyRotationFilter selects the rotations of one key.
type APIKeyRotationFilter struct {
	// APIKeyID is required.
	APIKeyID string
	// IDs keeps only these rotations, if not empty.
	IDs []string
	Page
}
