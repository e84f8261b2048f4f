package keygate

import (
	"encoding/json"
	"time"
)

// ExposureRisk is how dangerous an exposure is, as Paddle grades it.
type ExposureRisk string

// The risk levels of an exposure.
const (
	// RiskHigh is a key that was active when it was found: keygate revokes
	// it at once, for good.
	RiskHigh ExposureRisk = "high"
	// RiskLow is a key already revoked or expired: only recorded.
	RiskLow ExposureRisk = "low"
)

// ExposureAction is what keygate did about an exposure.
type ExposureAction string

// The actions taken on an exposure.
const (
	ActionRevoked ExposureAction = "revoked"
	ActionNone    ExposureAction = "none"
)

// ExposureSource is who reported an exposure. Paddle knows only github;
// keygate adds the sources a self-hosted deployment has.
type ExposureSource string

// The sources of exposures.
const (
	SourceGitHub      ExposureSource = "github"
	SourceGitLab      ExposureSource = "gitlab"
	SourceKeygateScan ExposureSource = "keygate-scan"
)

// Exposure text bounds, as Paddle's entity has them.
const (
	ExposureReferenceMaxLen   = 250
	ExposureDescriptionMaxLen = 250
)

// APIKeyExposure is a report that an API key was found where it should not
// be (Paddle's api_key_exposure). One exposure is recorded per key and
// leak: the same source and reference reported again is the same exposure.
type APIKeyExposure struct {
	ID          string // "apkexp_…"
	APIKeyID    string
	AccountID   string
	Environment Environment
	Risk        ExposureRisk
	Action      ExposureAction
	Source      ExposureSource
	// Reference says where the key was found: a URL for a code host, a
	// file and line for keygate scan. 1 to 250 characters.
	Reference   string
	Description *string
	// SeenAt is when a user of the account first viewed it in the dashboard;
	// nil while unseen.
	SeenAt    *time.Time
	CreatedAt time.Time
}

// ExposureReport is one token a code host or scanner reports as leaked.
type ExposureReport struct {
	Token       string
	Source      ExposureSource
	Reference   string
	Description string
}

// ExposureOutcome is what became of one reported token.
type ExposureOutcome struct {
	// Known is true when the token is a key of this deployment (active,
	// revoked or expired): a true positive.
	Known bool
	// Exposure is the exposure recorded, or the one recorded before for the
	// same leak; nil when the token is not known.
	Exposure *APIKeyExposure
	// Created is true when this report recorded the exposure.
	Created bool
}

// APIKeyExposureFilter selects exposures of one account.
type APIKeyExposureFilter struct {
	AccountID string
	// APIKeyID keeps only the exposures of this key, if set.
	APIKeyID string
	Page
}

// Expose decides the risk of an exposure of k found at now and applies it:
// an active key is high risk and is revoked by the system; a revoked or
// expired one is low risk and is left as it is. Either way the key's
// ExposedAt is set, if it was not.
func (k *APIKey) Expose(now time.Time) (ExposureRisk, ExposureAction) {
	if k.ExposedAt == nil {
		k.ExposedAt, k.UpdatedAt = &now, now
	}
	if k.StatusAt(now) != APIKeyActive {
		return RiskLow, ActionNone
	}
	k.Status, k.RevokedAt, k.RevokedBy, k.UpdatedAt = APIKeyRevoked, &now, RevokedBySystem, now
	return RiskHigh, ActionRevoked
}

// UserMail is an e-mail to a user of an account about an event, sent
// whatever the account's notification destinations: Paddle e-mails an
// account's users about every exposure.
type UserMail struct {
	ID          string // "umail_…"
	AccountID   string
	Environment Environment
	To          string
	EventID     string
	// Payload is the event as a webhook body, from which the e-mail is
	// rendered.
	Payload   json.RawMessage
	Attempts  int
	RetryAt   *time.Time // nil once sent or given up
	SentAt    *time.Time
	LastError string
	CreatedAt time.Time
}

// UserMailRetries is how many times a user e-mail is retried, a minute
// apart and more, before it is given up.
const UserMailRetries = 10
