package credential

import (
	"crypto/sha256"
	"time"
)

// String returns the environment's name as keygate spells it elsewhere:
// "live" or "sandbox"; "" for EnvNone.
func (e Env) String() string {
	switch e {
	case EnvLive:
		return "live"
	case EnvSandbox:
		return "sandbox"
	}
	return ""
}

// EnvFromName returns the Env named "live" or "sandbox", and EnvNone for
// anything else.
func EnvFromName(name string) Env {
	switch name {
	case "live":
		return EnvLive
	case "sandbox":
		return EnvSandbox
	}
	return EnvNone
}

// keyEnv is the environment part of API and partner keys: live or sdbx.
func (e Env) keyEnv() string {
	if e == EnvSandbox {
		return "sdbx"
	}
	return "live"
}

// NewKey is a freshly generated API or partner key.
type NewKey struct {
	// EntityID is the ID of the key's entity, with its prefix ("apikey_…").
	EntityID string
	// Token is the full key, to be shown once and never stored.
	Token string
	// Hash is the SHA-256 of the secret, the only thing that is stored.
	Hash [sha256.Size]byte
}

// NewAPIKey generates a standard API key of prefix p ("" for
// DefaultKeyPrefix) for env, created at t. p must be valid (ValidKeyPrefix).
func NewAPIKey(p string, env Env, t time.Time) NewKey {
	id := NewID("apikey", t)
	return withSecret(id, orDefault(p)+"_"+env.keyEnv()+"_apikey_"+IDBody(id))
}

// NewPartnerKey generates a partner key for env; its entity ID is the
// partner key's own ("psk_…"), separate from the partner's "pid_…".
func NewPartnerKey(env Env, t time.Time) NewKey {
	id := NewID("psk", t)
	return withSecret(id, "psk_"+env.keyEnv()+"_"+IDBody(id))
}

// RotateSecret returns a new key for an existing key entity: the same prefix
// and ID, a new secret and check. tok is any token of that entity; an API
// key keeps its prefix.
func RotateSecret(tok Token, env Env) NewKey {
	switch tok.Kind {
	case KindPartnerKey:
		return withSecret("psk_"+tok.ID, "psk_"+env.keyEnv()+"_"+tok.ID)
	default:
		return withSecret("apikey_"+tok.ID, orDefault(tok.Prefix)+"_"+env.keyEnv()+"_apikey_"+tok.ID)
	}
}

func withSecret(entityID, prefix string) NewKey {
	secret := randomBase62(SecretLen)
	body := prefix + "_" + secret
	return NewKey{EntityID: entityID, Token: body + "_" + Check(body), Hash: HashSecret(secret)}
}

// NewClientToken returns a client-side token for env: live_ or test_ and 27
// random base62 characters.
func NewClientToken(env Env) string {
	if env == EnvSandbox {
		return "test_" + randomBase62(clientBodyLen)
	}
	return "live_" + randomBase62(clientBodyLen)
}

// NewLegacyKey returns a random legacy-format key (50 base62 characters). Real
// legacy keys are imported, not issued; this exists for tests and tools.
func NewLegacyKey() string {
	return randomBase62(LegacyKeyLen)
}

// MagicCodeLen is the length of a magic-session code.
const MagicCodeLen = 43

// NewMagicCode returns a single-use magic-session code of 43 base62
// characters.
func NewMagicCode() string {
	return randomBase62(MagicCodeLen)
}

// ValidMagicCode reports whether s has the shape of a magic-session code.
func ValidMagicCode(s string) bool {
	return len(s) == MagicCodeLen && isBase62(s)
}

// NewEndpointSecret returns the secret of a notification setting, given its
// entity ID ("ntfset_…"): pdl_ntfset_{id}_{32 base62}.
func NewEndpointSecret(settingID string) string {
	return "pdl_ntfset_" + IDBody(settingID) + "_" + randomBase62(32)
}

// HashSecret returns the SHA-256 of a secret, the form in which keygate
// stores it.
func HashSecret(secret string) [sha256.Size]byte {
	return sha256.Sum256(unsafeBytes(secret))
}

// NewSessionToken returns a random dashboard session token (32 bytes of
// entropy as 43 base62 characters).
func NewSessionToken() string {
	return randomBase62(43)
}
