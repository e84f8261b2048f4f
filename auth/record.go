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
	// requests counts the uses not yet written.
	requests atomic.Int64
	// checked holds the key's check digits once a token with the right
	// secret has shown them valid (packed, with bit 31 set), so that later
	// requests compare three bytes instead of computing a CRC.
	checked atomic.Uint32
	// rot is nil unless the key is in the middle of a rotation (see
	// rotation.go): a second secret is rare, so it lives apart.
	rot *rotation
}

// checkValid reports whether check is the right check for this key's
// token, whose body (everything before the last underscore) is body. It
// must only be called once the secret has matched: then body is the key's
// one true body, and its check never changes.
func (r *record) checkValid(body, check string) bool {
	packed := uint32(1)<<31 | uint32(check[0])<<16 | uint32(check[1])<<8 | uint32(check[2])
	if c := r.checked.Load(); c != 0 {
		return c == packed
	}
	if !credential.ValidCheck(body, check) {
		return false
	}
	r.checked.Store(packed)
	return true
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

// clientRecord makes the record of a client-side token: no permissions, no
// secret (the token itself is the key of the cache).
func clientRecord(t *keygate.ClientToken) *record {
	return &record{
		principal: Principal{Kind: credential.KindClientToken, CredentialID: t.ID, AccountID: t.AccountID, Environment: t.Environment},
		active:    t.Status == keygate.ClientTokenActive,
	}
}
