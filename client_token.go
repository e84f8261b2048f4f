package keygate

import "time"

// ClientTokenStatus is the status of a client-side token.
type ClientTokenStatus string

// The statuses of a client-side token. Revocation is permanent.
const (
	ClientTokenActive  ClientTokenStatus = "active"
	ClientTokenRevoked ClientTokenStatus = "revoked"
)

// ClientToken is a client-side token: a publishable credential for
// browsers ({live|test}_ and 27 characters), accepted only on the routes
// that take client-side tokens (checkout and previews). It is not secret,
// so it is stored as it is and shown in full.
type ClientToken struct {
	ID          string // "ctkn_…"
	AccountID   string
	Environment Environment
	Token       string
	Name        string
	Description *string
	Status      ClientTokenStatus
	RevokedAt   *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ClientTokenCreate is what creating a client-side token takes.
type ClientTokenCreate struct {
	Name        string
	Description *string
}

// Validate checks c and returns it normalised (an empty description is
// none).
func (c ClientTokenCreate) Validate() (ClientTokenCreate, error) {
	var v validation
	validateText(&v, "name", c.Name, 1, 150)
	c.Description = validateDescription(&v, c.Description)
	return c, v.err()
}

// Revoke revokes the token at now, for good. Revoking a revoked token
// changes nothing and reports false.
func (t *ClientToken) Revoke(now time.Time) bool {
	if t.Status == ClientTokenRevoked {
		return false
	}
	t.Status, t.RevokedAt, t.UpdatedAt = ClientTokenRevoked, &now, now
	return true
}
