package keygate

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// LegacyKeyLen is the length of Paddle's legacy keys: 50 characters of
// [a-zA-Z0-9].
const LegacyKeyLen = 50

// KeyImport is one key brought from elsewhere: a Paddle legacy key, or the
// SHA-256 of any key another system issued. An imported key behaves as
// Paddle documents legacy keys: every permission, no expiry, never
// reactivated once revoked.
type KeyImport struct {
	// Key is a legacy key (LegacyKeyLen characters of [a-zA-Z0-9]); or
	// SHA256 is the hex SHA-256 of the whole key. Exactly one is given.
	Key    string
	SHA256 string
	Name   string
	// Description is optional; an empty one is none.
	Description *string
	// CreatedAt is when the key was made where it comes from; nil means
	// now. It can't be in the future.
	CreatedAt *time.Time
}

// Validate checks the import at now and returns the hash that will
// authenticate the key: the SHA-256 of Key, or SHA256 decoded.
func (c KeyImport) Validate(now time.Time) (hash []byte, err error) {
	var v validation
	switch {
	case c.Key != "" && c.SHA256 != "":
		v.add("key", "give key or sha256, not both")
	case c.Key != "":
		if !legacyKeyShape(c.Key) {
			v.add("key", "must be a legacy key: %d characters of [a-zA-Z0-9]", LegacyKeyLen)
		}
		sum := sha256.Sum256([]byte(c.Key))
		hash = sum[:]
	case c.SHA256 != "":
		b, err := hex.DecodeString(c.SHA256)
		if err != nil || len(b) != sha256.Size {
			v.add("sha256", "must be the SHA-256 of the key: 64 hexadecimal digits")
		}
		hash = b
	default:
		v.add("key", "give key (a legacy key) or sha256 (the SHA-256 of any key)")
	}
	validateText(&v, "name", c.Name, 1, KeyNameMaxLen)
	validateDescription(&v, c.Description)
	if c.CreatedAt != nil && c.CreatedAt.After(now) {
		v.add("created_at", "can't be in the future")
	}
	return hash, v.err()
}

func legacyKeyShape(s string) bool {
	if len(s) != LegacyKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
