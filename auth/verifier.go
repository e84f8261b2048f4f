package auth

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// Config configures a Verifier. Zero fields take the defaults noted.
type Config struct {
	Store keygate.Store
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// PollInterval is how often the change feed is read; default 250 ms, so
	// a change made elsewhere is in force here well within a second.
	PollInterval time.Duration
	// NegativeTTL is how long an unknown ID is remembered as unknown;
	// default 1 minute. A credential created meanwhile is announced by the
	// change feed and forgotten as unknown at once.
	NegativeTTL time.Duration
	// FlushInterval is how often last uses are written; default 30 s.
	FlushInterval time.Duration
	// MaxEntries bounds the number of cached credentials; default 2^20.
	MaxEntries int
	// LoadTimeout bounds one store read on a miss; default 5 s.
	LoadTimeout time.Duration
	// DocsURL is the base of the documentation_url of the errors Guard
	// writes; default Paddle's docs.
	DocsURL string
	Logger  *slog.Logger
}

// Verifier authenticates requests. Start it with Run; it is safe for
// concurrent use.
type Verifier struct {
	cfg     Config
	cache   *cache // standard keys, by ID body
	legacy  *cache // legacy keys, by the SHA-256 of the key, as a string
	group   singleflight.Group
	gen     atomic.Uint64 // bumped by every invalidation; see load
	started atomic.Bool

	legacyMu  sync.Mutex
	legacyIDs map[string]string // entity ID → legacy cache key

	pendingMu sync.Mutex
	pending   []*record // records with a last use to write

	Metrics *Metrics
}

// New returns a Verifier over cfg.Store.
func New(cfg Config) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PollInterval = cmpOr(cfg.PollInterval, 250*time.Millisecond)
	cfg.NegativeTTL = cmpOr(cfg.NegativeTTL, time.Minute)
	cfg.FlushInterval = cmpOr(cfg.FlushInterval, 30*time.Second)
	cfg.LoadTimeout = cmpOr(cfg.LoadTimeout, 5*time.Second)
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DocsURL == "" {
		cfg.DocsURL = "https://developer.paddle.com"
	}
	return &Verifier{
		cfg: cfg, cache: newCache(cfg.MaxEntries), legacy: newCache(cfg.MaxEntries / 16),
		legacyIDs: map[string]string{}, Metrics: newMetrics(),
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// envs maps an environment to its credential spelling.
var envs = map[keygate.Environment]credential.Env{keygate.Live: credential.EnvLive, keygate.Sandbox: credential.EnvSandbox}

// Authenticate authenticates a request that arrived on the surface of env
// with the Authorization header value header, and checks that its
// credential holds perm (a PermissionBit; 0 for none). It returns ErrMissing,
// ErrMalformed, ErrInvalidToken or ErrForbidden, or an internal error when
// the store can't be read.
func (v *Verifier) Authenticate(ctx context.Context, env keygate.Environment, header string, perm keygate.PermissionSet) (Principal, error) {
	if header == "" {
		v.Metrics.result(resultMissing)
		return Principal{}, ErrMissing
	}
	token, ok := bearerToken(header)
	if !ok {
		v.Metrics.result(resultMalformed)
		return Principal{}, ErrMalformed
	}
	tok, err := credential.ParseIn(token, envs[env])
	if err != nil {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	now := v.cfg.Now().UnixNano()
	var rec *record
	switch tok.Kind {
	case credential.KindAPIKey:
		rec, err = v.lookup(ctx, tok.ID, now)
	case credential.KindLegacyKey:
		rec, err = v.lookupLegacy(ctx, env, tok.Secret, now)
	}
	if err != nil {
		v.Metrics.result(resultError)
		return Principal{}, err
	}
	if rec == nil {
		rec = decoy // the same work as a wrong secret, then the same answer
	}
	hash := credential.HashSecret(tok.Secret)
	if subtle.ConstantTimeCompare(hash[:], rec.hash[:]) != 1 || rec.principal.Environment != env || !rec.usable(now) {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	if perm != 0 && !rec.principal.Permissions.HasBit(perm) {
		v.Metrics.result(resultForbidden)
		return Principal{}, ErrForbidden
	}
	v.touch(rec, now)
	v.Metrics.result(resultOK)
	return rec.principal, nil
}

// bearerToken returns the token of "Bearer <token>". The scheme is matched
// without regard to case (RFC 9110); the token must be one word.
func bearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimLeft(h[len(scheme):], " ")
	if tok == "" {
		return "", false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' { // a space or control character: more than one word
			return "", false
		}
	}
	return tok, true
}

// lookup returns the record of a standard key by its ID body, or nil when it
// does not exist.
func (v *Verifier) lookup(ctx context.Context, id string, now int64) (*record, error) {
	if rec, known := v.cache.get(id, now); known {
		v.Metrics.cache(rec != nil)
		return rec, nil
	}
	v.Metrics.miss()
	return v.load(ctx, v.cache, id, now, func(tx keygate.Tx) (*keygate.APIKey, error) {
		return tx.FindAPIKeyByID(ctx, "apikey_"+id)
	})
}

// lookupLegacy returns the record of a legacy key by the key itself.
func (v *Verifier) lookupLegacy(ctx context.Context, env keygate.Environment, key string, now int64) (*record, error) {
	hash := credential.HashSecret(key)
	cacheKey := string(env) + ":" + string(hash[:])
	if rec, known := v.legacy.get(cacheKey, now); known {
		v.Metrics.cache(rec != nil)
		return rec, nil
	}
	v.Metrics.miss()
	rec, err := v.load(ctx, v.legacy, cacheKey, now, func(tx keygate.Tx) (*keygate.APIKey, error) {
		return tx.FindAPIKeyByHash(ctx, env, hash[:])
	})
	if rec != nil {
		v.legacyMu.Lock()
		v.legacyIDs[rec.principal.CredentialID] = cacheKey
		v.legacyMu.Unlock()
	}
	return rec, err
}

// load reads a credential from the store on a miss. Concurrent misses of
// one key share one read. The result is cached only if no invalidation
// happened since the read began, so a read that raced with a change can't
// put a stale record back; and only once Run has begun following the
// change feed.
func (v *Verifier) load(ctx context.Context, c *cache, key string, now int64, find func(keygate.Tx) (*keygate.APIKey, error)) (*record, error) {
	gen := v.gen.Load()
	val, err, _ := v.group.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.LoadTimeout)
		defer cancel()
		var k *keygate.APIKey
		err := v.cfg.Store.View(ctx, func(tx keygate.Tx) (err error) {
			k, err = find(tx)
			return err
		})
		cacheable := v.started.Load() && v.gen.Load() == gen
		switch {
		case keygate.ErrorCode(err) == keygate.CodeNotFound:
			if cacheable {
				c.putAbsent(strings.Clone(key), now, now+v.cfg.NegativeTTL.Nanoseconds())
			}
			return (*record)(nil), nil
		case err != nil:
			return nil, err
		}
		rec := newRecord(k)
		if cacheable {
			c.put(strings.Clone(key), rec)
		}
		return rec, nil
	})
	if err != nil {
		return nil, err
	}
	return val.(*record), nil
}

// Invalidate forgets what is cached of a credential (by entity ID,
// "apikey_…"), so that the next request reads it anew. Call it after a
// change commits; the change feed calls it for changes of other processes.
func (v *Verifier) Invalidate(entityID string) {
	v.gen.Add(1)
	v.cache.remove(credential.IDBody(entityID))
	v.legacyMu.Lock()
	if key, ok := v.legacyIDs[entityID]; ok {
		v.legacy.remove(key)
		delete(v.legacyIDs, entityID)
	}
	v.legacyMu.Unlock()
}

// invalidateAll forgets everything cached.
func (v *Verifier) invalidateAll() {
	v.gen.Add(1)
	v.cache.clear()
	v.legacy.clear()
}

// Started reports whether Run is following the change feed, and so whether
// records are cached.
func (v *Verifier) Started() bool { return v.started.Load() }

// Cached returns the number of credentials cached.
func (v *Verifier) Cached() int { return v.cache.len() + v.legacy.len() }
