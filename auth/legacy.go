package auth

import (
	"context"
	"crypto/sha256"
	"strings"
	"unsafe"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// Keys with no ID (Paddle's legacy keys, and keys imported from other
// systems by their SHA-256) are found by the hash of the whole token.
// Opaque tokens (any shape keygate does not know) are looked up only when
// they are plausible keys: OpaqueMinLen to OpaqueMaxLen printable ASCII
// characters, none of keygate's own prefixes.
const (
	OpaqueMinLen = 16
	OpaqueMaxLen = 256
)

// legacyKeyLen is the length of a legacy cache key: the SHA-256 of the
// token and the environment's code.
const legacyKeyLen = sha256.Size + 1

// legacyCacheKey writes the legacy cache's key of a token's hash in env
// into buf and returns it as a string over buf, without copying: the
// caller must clone it before keeping it. Its first eight bytes are its
// hash in the cache (see cache.byDigest).
func legacyCacheKey(env envCode, hash *[sha256.Size]byte, buf *[legacyKeyLen]byte) string {
	copy(buf[:], hash[:])
	buf[sha256.Size] = byte(env)
	return unsafe.String(&buf[0], legacyKeyLen)
}

// cachedLegacy returns the record of a token that is a cached legacy or
// imported key, at the cost of a standard key's hit: one hash and one
// lookup, by the hash itself (cache.findDigest); nil when the token is not
// one (then the slow path decides).
func (v *Verifier) cachedLegacy(env keygate.Environment, token string) *record {
	if len(token) > OpaqueMaxLen || v.legacy.len() == 0 {
		return nil
	}
	hash := credential.HashSecret(token)
	return v.legacy.findDigest(envCodeOf(env), &hash)
}

// opaqueKey reports whether a token keygate can't parse may be a key
// imported by its hash, and so is worth a lookup.
func opaqueKey(token, keyPrefix string) bool {
	if len(token) < OpaqueMinLen || len(token) > OpaqueMaxLen || strings.Contains(token, "_apikey_") {
		return false
	}
	for _, p := range []string{"psk_", "live_", "test_", credential.DefaultKeyPrefix + "_", keyPrefix + "_"} {
		if p != "_" && strings.HasPrefix(token, p) {
			return false
		}
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] > '~' {
			return false
		}
	}
	return true
}

// lookupLegacy returns the record of a legacy or imported key by the whole
// token, or nil when there is none.
func (v *Verifier) lookupLegacy(ctx context.Context, env keygate.Environment, token string, now int64) (*record, error) {
	hash := credential.HashSecret(token)
	var buf [legacyKeyLen]byte
	if rec, known := v.legacy.get(legacyCacheKey(envCodeOf(env), &hash, &buf), now); known {
		v.Metrics.cache(rec != nil)
		return rec, nil
	}
	v.Metrics.miss()
	cacheKey := string(buf[:]) // a copy, kept by the cache and the ID index
	rec, err := v.load(ctx, v.legacy, cacheKey, now, func(tx keygate.Tx) (*record, error) {
		k, err := tx.FindAPIKeyByHash(ctx, env, hash[:])
		rec, err := keyRecord(k, err)
		if err == nil {
			v.attachControls(rec, k, now)
		}
		return rec, err
	})
	if rec != nil {
		v.legacyMu.Lock()
		v.legacyIDs[rec.credentialID] = cacheKey
		v.legacyMu.Unlock()
	}
	return rec, err
}
