package wire

import "github.com/keygate/keygate"

// APIKeyExposure is Paddle's api_key_exposure entity.
type APIKeyExposure struct {
	ID          string  `json:"id"`
	APIKeyID    string  `json:"api_key_id"`
	RiskLevel   string  `json:"risk_level"`
	ActionTaken string  `json:"action_taken"`
	Source      string  `json:"source"`
	Reference   string  `json:"reference"`
	Description *string `json:"description"`
	CreatedAt   Time    `json:"created_at"`
}

// NewAPIKeyExposure returns x as the API and events show it.
func NewAPIKeyExposure(x *keygate.APIKeyExposure) *APIKeyExposure {
	return &APIKeyExposure{
		ID: x.ID, APIKeyID: x.APIKeyID, RiskLevel: string(x.Risk), ActionTaken: string(x.Action), Source: string(x.Source),
		Reference: x.Reference, Description: x.Description, CreatedAt: Time(x.CreatedAt),
	}
}
