package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"sync/atomic"
	"time"
	"unique"
	"unsafe"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// record is what the cache holds for one credential: enough to decide every
// request, and nothing secret but the hash. It is laid out small, because a
// node caches up to a million of them: what every request reads is inline,
// what few credentials have (a partner, rotation state) is behind rare, and
// the account ID is interned, shared by every key of the account.
type record struct {
	hash [sha256.Size]byte
	// env follows hash directly, so that the two are a legacy key's cache
	// key in place (digestKey).
	env          envCode
	credentialID string                // "apikey_…"; the cache's key is a slice of it
	account      unique.Handle[string] // zero for none
	permissions  keygate.PermissionSet
	expires      time.Time  // zero for no expiry; kept as the principal returns it, not converted per request
	rare         *rareState // nil for most credentials
	// next is the following record of the record's chain in its cache.
	next atomic.Pointer[record]
	// lastUsed is the latest use not yet written (Unix nanoseconds), and
	// requests counts the uses not yet written.
	lastUsed atomic.Int64
	requests atomic.Int64
	// checked holds the key's check digits once a token with the right
	// secret has shown them valid (packed, with bit 31 set), so that later
	// requests compare three bytes instead of computing a CRC.
	checked atomic.Uint32
	kind    uint8 // a credential.Kind
	// keyAt is where the record's cache key begins in credentialID, when
	// it is a suffix of it (an ID body); keyIsDigest when it is the hash
	// and environment (digestKey); 0 when the key is rare.key.
	keyAt   uint8
	active  bool        // stored status is active
	pending atomic.Bool // queued for the next write of last uses
}

// rareState holds what few credentials have, out of line so that the
// common record stays small.
type rareState struct {
	partnerID string // the partner of a partner key ("pid_…")
	key       string // the cache key, when it is not part of credentialID
	// rot is nil unless the key is in the middle of a rotation (see
	// rotation.go).
	rot *rotation
	// controls is nil unless the key has an IP allowlist, a rate limit or
	// credits (see controls.go).
	controls *controls
}

// rare returns the record's rare state, making it. The record must not be
// shared yet.
func (r *record) rareState() *rareState {
	if r.rare == nil {
		r.rare = &rareState{}
	}
	return r.rare
}

// rot returns the key's rotation, nil if it is in none.
func (r *record) rot() *rotation {
	if r.rare == nil {
		return nil
	}
	return r.rare.rot
}

// keyIsDigest is keyAt's value for a record whose cache key is its
// digestKey. No credential ID is that long.
const keyIsDigest = 255

// key returns the record's key in its cache.
func (r *record) key() string {
	if r.keyAt != 0 {
		if r.keyAt == keyIsDigest {
			return r.digestKey()
		}
		return r.credentialID[r.keyAt:]
	}
	if r.rare != nil {
		return r.rare.key
	}
	return ""
}

// digestKey returns the record's hash and environment as one string (what
// legacyCacheKey makes of a token), over the record's own memory: the
// fields are adjacent and never change once cached.
func (r *record) digestKey() string {
	return unsafe.String(&r.hash[0], legacyKeyLen)
}

// digestKey needs env to follow hash directly: this does not compile if a
// change to record separates them.
var _ [0]struct{} = [unsafe.Offsetof(record{}.env) - unsafe.Offsetof(record{}.hash) - sha256.Size]struct{}{}

// setKey makes key the record's cache key: a slice of the credential ID
// when key is its end, or the record's own hash and environment, so that
// it costs no memory of its own; else a copy in rare, so that it does not
// pin the request's memory. The record must not be shared yet.
func (r *record) setKey(key string) {
	if n := len(r.credentialID) - len(key); n > 0 && n < keyIsDigest && r.credentialID[n:] == key {
		r.keyAt = uint8(n)
		return
	}
	if len(key) == legacyKeyLen && key == r.digestKey() {
		r.keyAt = keyIsDigest
		return
	}
	r.rareState().key = strings.Clone(key)
}

// envCode is an environment in one byte.
type envCode uint8

const (
	envOther envCode = iota
	envLive
	envSandbox
)

func envCodeOf(e keygate.Environment) envCode {
	switch e {
	case keygate.Live:
		return envLive
	case keygate.Sandbox:
		return envSandbox
	}
	return envOther
}

func (c envCode) environment() keygate.Environment {
	switch c {
	case envLive:
		return keygate.Live
	case envSandbox:
		return keygate.Sandbox
	}
	return ""
}

// principal returns who the credential acts for.
func (r *record) principal() Principal {
	p := Principal{Kind: credential.Kind(r.kind), CredentialID: r.credentialID, Environment: r.env.environment(), Permissions: r.permissions}
	if r.account != (unique.Handle[string]{}) {
		p.AccountID = r.account.Value()
	}
	if r.rare != nil {
		p.PartnerID = r.rare.partnerID
	}
	p.ExpiresAt = r.expires
	return p
}

// hashMatches reports, in constant time, whether hash is the record's.
// It compares four words rather than 32 bytes one by one: no branch
// depends on the data until the single final test.
func (r *record) hashMatches(hash *[sha256.Size]byte) bool {
	var diff uint64
	for i := 0; i < sha256.Size; i += 8 {
		diff |= binary.LittleEndian.Uint64(hash[i:]) ^ binary.LittleEndian.Uint64(r.hash[i:])
	}
	return diff == 0
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
		credentialID: strings.Clone(k.ID), account: intern(k.AccountID), permissions: k.PermissionSet(),
		kind: uint8(kind), env: envCodeOf(k.Environment), active: k.Status == keygate.APIKeyActive,
	}
	copy(r.hash[:], k.SecretHash)
	if k.ExpiresAt != nil {
		r.expires = k.ExpiresAt.UTC().Round(0)
	}
	return r
}

// intern returns the canonical handle of s, shared by every record of the
// same account; the zero handle for "".
func intern(s string) unique.Handle[string] {
	if s == "" {
		return unique.Handle[string]{}
	}
	return unique.Make(s)
}

// usable reports whether the credential authenticates at now: the same rule
// as keygate.APIKey.StatusAt, on the cached fields.
func (r *record) usable(now int64) bool {
	return r.active && (r.expires.IsZero() || now < r.expires.UnixNano())
}

// decoy is compared against when no record exists, so that an unknown ID
// costs the same hash and comparison as a wrong secret.
var decoy = &record{}

// clientRecord makes the record of a client-side token: no permissions, no
// secret (the token itself is the key of the cache).
func clientRecord(t *keygate.ClientToken) *record {
	return &record{
		kind: uint8(credential.KindClientToken), credentialID: strings.Clone(t.ID), account: intern(t.AccountID),
		env: envCodeOf(t.Environment), active: t.Status == keygate.ClientTokenActive,
	}
}
