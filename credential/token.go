package credential

import (
	"errors"
	"strings"
)

// Kind is the kind of credential a token is, as told by its shape alone.
type Kind int

// The kinds of token Parse tells apart.
const (
	// KindUnknown is anything that is not one of the shapes below.
	KindUnknown Kind = iota
	// KindAPIKey is a standard API key:
	// {prefix}_{live|sdbx}_apikey_{id}_{secret}_{check}, prefix being pdl or
	// an operator's own (2 to 8 lower-case letters).
	KindAPIKey
	// KindLegacyKey is an imported pre-2025 key: 50 characters of [a-zA-Z0-9].
	KindLegacyKey
	// KindClientToken is a client-side token: {live|test}_ + 27 [a-zA-Z0-9].
	KindClientToken
	// KindPartnerKey is a partner key: psk_{live|sdbx}_{id}_{secret}_{check}.
	KindPartnerKey
)

// String returns the kind's name, as used in logs and identity headers.
func (k Kind) String() string {
	switch k {
	case KindAPIKey:
		return "api_key"
	case KindLegacyKey:
		return "legacy_api_key"
	case KindClientToken:
		return "client_token"
	case KindPartnerKey:
		return "partner_key"
	default:
		return "unknown"
	}
}

// Env is the environment a token names, in the token's own spelling-neutral
// form.
type Env int

// The environments a token can name. A legacy key names none.
const (
	EnvNone Env = iota
	EnvLive
	EnvSandbox
)

// Lengths of the parts of the formats.
const (
	SecretLen      = 22 // secret of an API or partner key
	APIKeyLen      = 69 // a whole standard API key with a 3-letter prefix (see APIKeyLenFor)
	LegacyKeyLen   = 50 // a whole legacy key
	ClientTokenLen = 32 // a whole client-side token
	clientBodyLen  = 27 // random part of a client-side token
)

// Errors returned by Parse. Every other malformed input is ErrMalformed.
var (
	// ErrMalformed means the token has none of the known shapes.
	ErrMalformed = errors.New("credential: malformed token")
	// ErrCheck means the token has the shape of an API or partner key but its
	// check does not match: a typo, a truncation or a forgery.
	ErrCheck = errors.New("credential: check digits do not match")
	// ErrEnvironment means the token is well formed but names the other
	// environment. Returned by ParseIn only.
	ErrEnvironment = errors.New("credential: token is for the other environment")
)

// Token is a parsed token. Its strings are slices of the parsed input.
type Token struct {
	Kind Kind
	Env  Env
	// Prefix is the marker of a standard API key ("pdl", or an operator's);
	// "" for every other kind.
	Prefix string
	// ID is the 26-character body of the entity ID, for API and partner keys.
	ID string
	// Secret is the part whose SHA-256 is stored: the 22-character secret of
	// an API or partner key, or the whole token of a legacy key or
	// client-side token.
	Secret string
}

// Parse tells what kind of token s is by its shape, and checks the check
// digits of API and partner keys. A standard API key may have any valid key
// prefix (see ValidKeyPrefix), which it returns in Token.Prefix: callers
// that serve one deployment compare it with theirs. It never panics and does
// not allocate.
// It returns ErrCheck for a key with a wrong check and ErrMalformed for
// anything unrecognised; the returned Token then still carries Kind when the
// shape was recognised.
func Parse(s string) (Token, error) {
	if p, ok := apiKeyPrefix(s); ok {
		tok, err := parseKey(s, KindAPIKey, p+"_", "apikey_")
		if tok.Kind == KindAPIKey {
			tok.Prefix = p
		}
		return tok, err
	}
	switch {
	case strings.HasPrefix(s, "psk_"):
		return parseKey(s, KindPartnerKey, "psk_", "")
	case len(s) == ClientTokenLen && (strings.HasPrefix(s, "live_") || strings.HasPrefix(s, "test_")):
		return parseClientToken(s)
	case len(s) == LegacyKeyLen && isBase62(s):
		return Token{Kind: KindLegacyKey, Env: EnvNone, Secret: s}, nil
	}
	return Token{}, ErrMalformed
}

// ParseIn is Parse for a surface of environment env: a well-formed token
// that names the other environment is ErrEnvironment. Legacy keys name no
// environment and pass; the store decides where they belong.
func ParseIn(s string, env Env) (Token, error) {
	t, err := Parse(s)
	if err != nil {
		return t, err
	}
	if t.Env != EnvNone && t.Env != env {
		return t, ErrEnvironment
	}
	return t, nil
}

// apiKeyPrefix returns the prefix of s if s starts with a valid key prefix
// followed by "_live_apikey_" or "_sdbx_apikey_".
func apiKeyPrefix(s string) (string, bool) {
	const tail = len("_live_apikey_")
	for i := MinKeyPrefixLen; i <= MaxKeyPrefixLen && i+tail <= len(s); i++ {
		if s[i] != '_' {
			continue
		}
		rest := s[i : i+tail]
		if (rest == "_live_apikey_" || rest == "_sdbx_apikey_") && isKeyPrefix(s[:i]) {
			return s[:i], true
		}
		return "", false
	}
	return "", false
}

// parseKey parses marker + env + "_" + kind + id + "_" + secret + "_" + check.
func parseKey(s string, kind Kind, marker, kindPart string) (Token, error) {
	tok := Token{Kind: kind}
	rest := s[len(marker):]
	switch {
	case strings.HasPrefix(rest, "live_"):
		tok.Env = EnvLive
	case strings.HasPrefix(rest, "sdbx_"):
		tok.Env = EnvSandbox
	default:
		return Token{}, ErrMalformed
	}
	rest = rest[len("live_"):]
	if !strings.HasPrefix(rest, kindPart) {
		return Token{}, ErrMalformed
	}
	rest = rest[len(kindPart):]
	if len(rest) != IDLen+1+SecretLen+1+CheckLen || rest[IDLen] != '_' || rest[IDLen+1+SecretLen] != '_' {
		return Token{}, ErrMalformed
	}
	id, secret, check := rest[:IDLen], rest[IDLen+1:IDLen+1+SecretLen], rest[IDLen+1+SecretLen+1:]
	if !isLowerAlnum(id) || !isBase62(secret) || !isBase62(check) {
		return Token{}, ErrMalformed
	}
	tok.ID, tok.Secret = id, secret
	if !validCheck(s[:len(s)-CheckLen-1], check) {
		return tok, ErrCheck
	}
	return tok, nil
}

func parseClientToken(s string) (Token, error) {
	body := s[len("live_"):]
	if !isBase62(body) {
		return Token{}, ErrMalformed
	}
	env := EnvLive
	if s[:4] == "test" {
		env = EnvSandbox
	}
	return Token{Kind: KindClientToken, Env: env, Secret: s}, nil
}

// SplitAPIKey splits a token of the shape of a standard API key of prefix p
// ("" for DefaultKeyPrefix) and env into
// its ID, secret and check, checking only its shape (prefix, lengths,
// underscores), not its alphabet or check digits. It is the hot path's
// first step: enough to find a cached credential, whose secret hash then
// decides. Anything it does not accept must go through Parse. Besides the
// prefix, it compares against constants only: no concatenation, no lookup,
// no allocation.
func SplitAPIKey(s, p string, env Env) (id, secret, check string, ok bool) {
	p = orDefault(p)
	n := len(p)
	if len(s) != n+apiKeyFixedLen || s[:n] != p || s[n] != '_' || s[n+5:n+13] != "_apikey_" || !isKeyEnv(s[n+1:n+5], env) {
		return "", "", "", false
	}
	rest := s[n+13:]
	if rest[IDLen] != '_' || rest[IDLen+1+SecretLen] != '_' {
		return "", "", "", false
	}
	return rest[:IDLen], rest[IDLen+1 : IDLen+1+SecretLen], rest[IDLen+1+SecretLen+1:], true
}

// isKeyEnv reports whether part (four bytes) is env's spelling in a key.
// Each comparison is with a constant, which compiles to one 4-byte load.
func isKeyEnv(part string, env Env) bool {
	switch env {
	case EnvLive:
		return part == "live"
	case EnvSandbox:
		return part == "sdbx"
	}
	return false
}

// ValidCheck reports whether check is the check of body (every byte of a
// key before its last underscore).
func ValidCheck(body, check string) bool { return validCheck(body, check) }
