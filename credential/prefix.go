package credential

import "errors"

// DefaultKeyPrefix is the marker that starts standard API keys unless an
// operator chooses another: Paddle's own.
const DefaultKeyPrefix = "pdl"

// Bounds of a key prefix's length.
const (
	MinKeyPrefixLen = 2
	MaxKeyPrefixLen = 8
)

// apiKeyFixedLen is the length of a standard API key without its prefix:
// "_live_apikey_" (13) + id (26) + "_" + secret (22) + "_" + check (3).
const apiKeyFixedLen = APIKeyLen - len(DefaultKeyPrefix)

// ErrKeyPrefix is returned by ValidKeyPrefix.
var ErrKeyPrefix = errors.New("credential: a key prefix is 2 to 8 lower-case letters (a-z)")

// ValidKeyPrefix returns nil if p may start standard API keys: 2 to 8
// lower-case ASCII letters, and ErrKeyPrefix otherwise.
func ValidKeyPrefix(p string) error {
	if !isKeyPrefix(p) {
		return ErrKeyPrefix
	}
	return nil
}

func isKeyPrefix(p string) bool {
	if len(p) < MinKeyPrefixLen || len(p) > MaxKeyPrefixLen {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 'a' || p[i] > 'z' {
			return false
		}
	}
	return true
}

// APIKeyLenFor returns the length of a standard API key with prefix p: 69
// with a 3-letter prefix, one more or less per letter.
func APIKeyLenFor(p string) int { return len(p) + apiKeyFixedLen }

// orDefault returns p, or DefaultKeyPrefix when p is "".
func orDefault(p string) string {
	if p == "" {
		return DefaultKeyPrefix
	}
	return p
}

// APIKeyPattern returns the regular expression (RE2 and PCRE alike) that
// matches exactly the standard API keys of prefix p in env, the pattern to
// register with a code host's secret scanning. The check digits are not
// expressible in it; a scanner validates them after the match.
func APIKeyPattern(p string, env Env) string {
	return `\b` + orDefault(p) + `_` + env.keyEnv() + `_apikey_[a-z0-9]{26}_[A-Za-z0-9]{22}_[A-Za-z0-9]{3}\b`
}
