package wire

import (
	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// APIKeyRotation is Paddle's api_key_rotation entity. NewKey is the full new
// key in the response that creates the rotation, the key's obfuscated form
// in every later read (keygate keeps only the secret's hash: see
// docs/decisions.md), and absent from events, as Paddle's webhooks leave it
// out.
type APIKeyRotation struct {
	ID                 string  `json:"id"`
	APIKeyID           string  `json:"api_key_id"`
	NewKey             *string `json:"new_key,omitempty"`
	GracePeriodSeconds int     `json:"grace_period_seconds"`
	Status             string  `json:"status"`
	ExpiresAt          *Time   `json:"expires_at"`
	CreatedAt          Time    `json:"created_at"`
	UpdatedAt          Time    `json:"updated_at"`
}

// NewAPIKeyRotationEvent returns r as events show it: without new_key.
func NewAPIKeyRotationEvent(r *keygate.APIKeyRotation) *APIKeyRotation {
	return &APIKeyRotation{
		ID: r.ID, APIKeyID: r.APIKeyID, GracePeriodSeconds: r.GracePeriodSeconds, Status: string(r.Status),
		ExpiresAt: timePtr(r.ExpiresAt), CreatedAt: Time(r.CreatedAt), UpdatedAt: Time(r.UpdatedAt),
	}
}

// NewAPIKeyRotation returns r as the API shows it: newKey is the full key
// when the rotation was just created, "" for the obfuscated form.
func NewAPIKeyRotation(r *keygate.APIKeyRotation, newKey string) *APIKeyRotation {
	w := NewAPIKeyRotationEvent(r)
	if newKey == "" {
		newKey = credential.Obfuscate(r.KeyPrefix, credential.EnvFromName(string(r.Environment)), r.APIKeyID)
	}
	w.NewKey = &newKey
	return w
}
