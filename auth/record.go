package auth

import (
	"crypto/sha256"
	"sync/atomic"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// record is what the cache holds for one credential: enough to decide every
// request, and nothing secret but the hash.
type record struct {
	principal Principal
	hash      [sha256.Size]byte
	active    bool  // stored status is active
	expiresAt int64 // Unix nanoseconds; 0 for no expiry
	// lastUsed is the latest use not yet written (Unix nanoseconds), and
	// pending says the record is queued for the next write.
	lastUsed atomic.Int64
	pending  atomic.Bool
}

// newRecord makes the record of an API key.
func newRecord(k *keygate.APIKey) *record {
	kind := credential.KindAPIKey
	if k.Legacy {
		kind = credential.KindLegacyKey
	}
	r := &record{
		principal: Principal{
			Kind: kind, CredentialID: k.ID, AccountID: k.AccountID,
			Environment: k.Environment, Permissions: k.PermissionSet(),
		},
		active: k.Status == keygate.APIKeyActive,
	}
	copy(r.hash[:], k.SecretHash)
	if k.ExpiresAt != nil {
		r.expiresAt = k.ExpiresAt.UnixNano()
	}
	return r
}

// usable reports whether the credential authenticates at now: the same rule
// as keygate.APIKey.StatusAt, on the cached fields.
func (r *record) usable(now int64) bool {
	return r.active && (r.expiresAt == 0 || now < r.expiresAt)
}

// decoy is compared against when no record exists, so that an unknown ID
// costs the same hash and comparison as a wrong secret.
var decoy = &record{}
