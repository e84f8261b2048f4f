package auth

import (
	"context"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// Principal is who an authenticated request acts for.
type Principal struct {
	// Kind is the kind of credential that authenticated the request.
	Kind credential.Kind
	// CredentialID is the credential's entity ID ("apikey_…").
	CredentialID string
	// AccountID is the account the credential acts for; "" for a partner
	// key, which acts for a partner.
	AccountID   string
	Environment keygate.Environment
	Permissions keygate.PermissionSet
	// PartnerID is the partner of a partner key ("pid_…").
	PartnerID string
	// ExpiresAt is when the credential expires; zero if it never does.
	ExpiresAt time.Time
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of an authenticated request's context.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
