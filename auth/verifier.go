package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
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
	// a change made elsewhere is in force here well within a second. A store
	// that pushes notice of changes (keygate.ChangeNotifier: PostgreSQL)
	// has the feed read on each notice, and polled every second by default,
	// for notices lost while its listening connection is down.
	PollInterval time.Duration
	// NegativeTTL is how long an unknown ID is remembered as unknown;
	// default 1 minute. A credential created meanwhile is announced by the
	// change feed and forgotten as unknown at once.
	NegativeTTL time.Duration
	// FlushInterval is how often last uses are written; default 30 s.
	FlushInterval time.Duration
	// MaxEntries bounds the number of cached API keys; default 2^20.
	// Imported keys and client-side tokens are each bounded by a quarter
	// of it (so 262,144 by default), in caches of their own that take
	// memory only as they fill.
	MaxEntries int
	// WarmKeys is how many of the API keys used most recently Run loads
	// into the cache when it starts, in the background (see warm); 0, the
	// default, loads none. It is bounded by MaxEntries.
	WarmKeys int
	// WarmTime bounds the warm-up; default 1 minute.
	WarmTime time.Duration
	// LoadTimeout bounds one store read on a miss; default 5 s.
	LoadTimeout time.Duration
	// KeyPrefix is the prefix of the deployment's standard API keys; ""
	// means credential.DefaultKeyPrefix. A key with another prefix is
	// invalid, whatever its ID and secret.
	KeyPrefix string
	// CompleteRotation completes a pending rotation of an API key when its
	// new secret first authenticates a request (app.Service.CompleteRotation
	// does, writing its events). An error with keygate.CodeInvalidToken
	// refuses the secret. Without it, the new secret of a pending rotation
	// never authenticates.
	CompleteRotation func(ctx context.Context, apiKeyID, rotationID string) error
	// SpendCredits charges the credits keys spent on this node and returns
	// their balances (app.Service.SpendCredits does, writing
	// api_key.usage_threshold). Without it the verifier charges them
	// itself, without events.
	SpendCredits func(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error)
	// ShareInterval is how often keys' rate-limit counts and spent credits
	// are shared with the other nodes; default DefaultShareInterval.
	ShareInterval time.Duration
	// NodeID names this process among the nodes sharing rate-limit counts;
	// give it the one the API's shared per-IP limit uses (default
	// NewNodeID()).
	NodeID string
	// TrustedProxies are the proxies whose X-Forwarded-For names the client,
	// for Guard's IP allowlists (wire.ClientIP's rule).
	TrustedProxies []netip.Prefix
	// DocsURL is the base of the documentation_url of the errors Guard
	// writes; default Paddle's docs.
	DocsURL string
	Logger  *slog.Logger
}

// Verifier authenticates requests. Start it with Run; it is safe for
// concurrent use.
type Verifier struct {
	cfg      Config
	cache    *cache             // standard keys, by ID body
	legacy   *cache             // legacy keys, by the SHA-256 of the key and the environment (legacyCacheKey)
	clients  *cache             // client-side tokens, by token
	partners *cache             // partner keys, by ID body
	group    singleflight.Group // rotations completed (rotation.go)
	flights  *flights           // reads on a miss (load)
	// localReads: the store's reads are in this process (localReader),
	// so a miss reads on the request's goroutine.
	localReads bool
	gen        atomic.Uint64 // bumped by every invalidation; see load
	started    atomic.Bool
	followed   atomic.Int64 // see FollowedTo

	legacyMu  sync.Mutex
	legacyIDs map[string]string // entity ID → legacy cache key
	clientIDs map[string]string // client-side token ID → token

	pendingMu sync.Mutex
	pending   []*record // records with a last use to write

	// refused counts permission refusals by credential ID until the next
	// flush. Refusals are rare, so they live here, under a mutex on the
	// refusal path, rather than in every cached record.
	refusedMu sync.Mutex
	refused   map[string]refusal

	// coarseNow is the time (Unix nanoseconds) that Run keeps to within a
	// millisecond, when the clock is the system's: reading it costs a load,
	// where time.Now costs tens of nanoseconds. 0 when Run is not running,
	// or while the clock is stopped for want of requests (keepTime).
	coarseNow   atomic.Int64
	systemClock bool
	// clockAsked says a request read the coarse clock since its last tick;
	// clockWake restarts a clock stopped for want of requests.
	clockAsked atomic.Bool
	clockWake  chan struct{}

	// The change feed's health: the error of the current run of failed
	// reads and when the last good read was; dropped once the cache was
	// dropped for it.
	healthMu     sync.Mutex
	feedErr      error
	feedErrSince time.Time
	dropped      atomic.Bool
	following    atomic.Bool // a read of the change feed is running

	// The warm-up Run starts (warm.go): the invalidations it must know of
	// while it runs, when it ends, and how many keys it cached.
	warming  atomic.Pointer[warmLog]
	warmOnce sync.Once
	warmDone chan struct{}
	warmed   atomic.Int64
	// usages are the rate-limit and credit counts of the keys that have
	// either, by entity ID; see controls.go and share.go.
	usageMu      sync.Mutex
	usages       map[string]*usage
	nodes        atomic.Int64 // nodes sharing the keys' rate limits, at least 1
	shareFailing atomic.Bool
	lastBeat     time.Time // of the last share of counts; only the share loop uses it

	// beforePut, if set (by tests), runs on a miss after the read and
	// before its result is cached: where an invalidation can land.
	beforePut func()

	Metrics *Metrics
}

// New returns a Verifier over cfg.Store.
func New(cfg Config) *Verifier {
	systemClock := cfg.Now == nil
	if systemClock {
		cfg.Now = time.Now
	}
	if _, notified := cfg.Store.(keygate.ChangeNotifier); notified {
		cfg.PollInterval = cmpOr(cfg.PollInterval, time.Second)
	}
	cfg.PollInterval = cmpOr(cfg.PollInterval, 250*time.Millisecond)
	cfg.NegativeTTL = cmpOr(cfg.NegativeTTL, time.Minute)
	cfg.FlushInterval = cmpOr(cfg.FlushInterval, 30*time.Second)
	cfg.LoadTimeout = cmpOr(cfg.LoadTimeout, 5*time.Second)
	cfg.WarmTime = cmpOr(cfg.WarmTime, time.Minute)
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = credential.DefaultKeyPrefix
	}
	if cfg.DocsURL == "" {
		cfg.DocsURL = "https://developer.paddle.com"
	}
	cfg.ShareInterval = cmpOr(cfg.ShareInterval, DefaultShareInterval)
	if cfg.NodeID == "" {
		cfg.NodeID = NewNodeID()
	}
	v := &Verifier{
		cfg: cfg, cache: newCache(cfg.MaxEntries), legacy: newDigestCache(cfg.MaxEntries / 4), clients: newCache(cfg.MaxEntries / 4), partners: newCache(1 << 12),
		flights: newFlights(), legacyIDs: map[string]string{}, clientIDs: map[string]string{}, Metrics: newMetrics(), systemClock: systemClock,
		clockWake: make(chan struct{}, 1), warmDone: make(chan struct{}),
	}
	if cfg.WarmKeys <= 0 {
		close(v.warmDone)
	}
	if l, ok := cfg.Store.(localReader); ok {
		v.localReads = l.LocalReads()
	}
	if v.cfg.SpendCredits == nil {
		v.cfg.SpendCredits = v.spendCredits
	}
	v.nodes.Store(1)
	return v
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// credEnv returns the credential spelling of an environment: a comparison
// with a constant, where a map lookup would hash the string.
func credEnv(env keygate.Environment) credential.Env {
	switch env {
	case keygate.Live:
		return credential.EnvLive
	case keygate.Sandbox:
		return credential.EnvSandbox
	}
	return credential.EnvNone
}

// Authenticate is AuthenticateFrom a client of unknown address: a key with
// an IP allowlist is refused.
func (v *Verifier) Authenticate(ctx context.Context, env keygate.Environment, header string, perm keygate.PermissionSet) (Principal, error) {
	return v.AuthenticateFrom(ctx, env, header, perm, netip.Addr{})
}

// AuthenticateFrom authenticates a request from the client ip that arrived
// on the surface of env with the Authorization header value header, and
// checks that its credential holds perm (a PermissionBit; 0 for none) and
// that its key's controls let it through. It returns ErrMissing,
// ErrMalformed, ErrInvalidToken, ErrIPNotAllowed, ErrForbidden (with the
// principal), a *RateLimited, ErrNoCredits, or an internal error when the
// store can't be read.
func (v *Verifier) AuthenticateFrom(ctx context.Context, env keygate.Environment, header string, perm keygate.PermissionSet, ip netip.Addr) (Principal, error) {
	if header == "" {
		v.Metrics.result(resultMissing)
		return Principal{}, ErrMissing
	}
	token, ok := bearerToken(header)
	if !ok {
		v.Metrics.result(resultMalformed)
		return Principal{}, ErrMalformed
	}
	now := v.nowNano()
	// The hot path: a standard key whose record is cached. Its secret's hash
	// decides; the alphabet and check digits only matter when it matches.
	if id, secret, check, ok := credential.SplitAPIKey(token, v.cfg.KeyPrefix, credEnv(env)); ok {
		if rec, known := v.cache.get(id, now); known && rec != nil {
			hash := credential.HashSecret(secret)
			match := rec.hashMatches(&hash)
			if match && rec.checkValid(token[:len(token)-credential.CheckLen-1], check) {
				if v.hitOK(rec, now, perm, ip) {
					return rec.principal(), nil
				}
				return v.decideMissed(rec, now, perm, ip)
			}
			v.Metrics.hit()
			if !match && rec.rot() != nil {
				return v.rotated(ctx, rec, token, hash, now, perm, ip)
			}
			v.Metrics.result(resultInvalid)
			return Principal{}, ErrInvalidToken
		}
	}
	if rec := v.cachedLegacy(env, token); rec != nil {
		if v.hitOK(rec, now, perm, ip) {
			return rec.principal(), nil
		}
		return v.decideMissed(rec, now, perm, ip)
	}
	return v.authenticateSlow(ctx, env, token, now, perm, ip)
}

// nowNano returns the current time in Unix nanoseconds: Run's coarse clock
// when it keeps one, else the configured clock.
func (v *Verifier) nowNano() int64 {
	if t := v.coarseNow.Load(); t != 0 {
		if !v.clockAsked.Load() { // one store per tick, not one per request
			v.clockAsked.Store(true)
		}
		return t
	}
	if v.systemClock {
		select { // the coarse clock stopped while idle: start it again
		case v.clockWake <- struct{}{}:
		default:
		}
	}
	return v.cfg.Now().UnixNano()
}

// authenticateSlow authenticates a token that is not a cached standard
// key: it checks the token's shape, alphabet and check digits before any
// store read, then finds the credential in the cache or the store.
func (v *Verifier) authenticateSlow(ctx context.Context, env keygate.Environment, token string, now int64, perm keygate.PermissionSet, ip netip.Addr) (Principal, error) {
	tok, err := credential.ParseIn(token, credEnv(env))
	if errors.Is(err, credential.ErrMalformed) && opaqueKey(token, v.cfg.KeyPrefix) {
		tok, err = credential.Token{Kind: credential.KindLegacyKey, Secret: token}, nil
	}
	if err != nil {
		if strings.ContainsAny(token, " \t\r\n") {
			v.Metrics.result(resultMalformed)
			return Principal{}, ErrMalformed // more than one word after the scheme
		}
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	if tok.Kind == credential.KindAPIKey && tok.Prefix != v.cfg.KeyPrefix {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	var rec *record
	switch tok.Kind {
	case credential.KindAPIKey:
		rec, err = v.lookup(ctx, tok.ID, now)
	case credential.KindLegacyKey:
		rec, err = v.lookupLegacy(ctx, env, tok.Secret, now)
	case credential.KindPartnerKey:
		rec, err = v.lookupPartner(ctx, tok.ID, now)
	}
	if err != nil {
		v.Metrics.result(resultError)
		return Principal{}, fmt.Errorf("%w (%w)", ErrUnavailable, err)
	}
	if rec == nil {
		rec = decoy // the same work as a wrong secret, then the same answer
	}
	hash := credential.HashSecret(tok.Secret)
	match := rec.hashMatches(&hash)
	if !match && rec.rot() != nil && rec.env == envCodeOf(env) {
		return v.rotated(ctx, rec, token, hash, now, perm, ip)
	}
	if !match || rec.env != envCodeOf(env) {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	return v.decide(rec, now, perm, ip)
}

// decide answers for a credential whose secret matched: it must be usable
// at now, be used from an address its allowlist allows, hold perm, and be
// within its rate limit and credits. A refusal for want of perm comes with
// the principal (the verify endpoint shows who lacks it).
func (v *Verifier) decide(rec *record, now int64, perm keygate.PermissionSet, ip netip.Addr) (Principal, error) {
	if !rec.usable(now) {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidToken
	}
	var c *controls
	if rec.rare != nil && rec.rare.controls != nil {
		if c = rec.rare.controls; !c.allows(ip) {
			v.Metrics.result(resultForbidden)
			return Principal{}, ErrIPNotAllowed
		}
	}
	if perm != 0 && !rec.permissions.HasBit(perm) {
		v.Metrics.result(resultForbidden)
		v.refuse(rec.credentialID, 1, now)
		return rec.principal(), ErrForbidden
	}
	if c != nil && c.usage != nil {
		if err := c.usage.take(now, v.nodes.Load()); err != nil {
			v.Metrics.result(resultLimited)
			return Principal{}, err
		}
	}
	v.touch(rec, now)
	v.Metrics.result(resultOK)
	return rec.principal(), nil
}

// hitOK reports whether a record the hot path found in the cache lets the
// request in with nothing more to decide (usable, the permission held, no
// control that refuses it), and then counts the use, the cache hit and the
// answer in one atomic add (Metrics.hitOK). The hot path builds the
// principal in its own return, so that the large result is copied once.
func (v *Verifier) hitOK(rec *record, now int64, perm keygate.PermissionSet, ip netip.Addr) bool {
	if !rec.usable(now) || (perm != 0 && !rec.permissions.HasBit(perm)) || rec.rare != nil && !rec.rare.passes(ip) {
		return false
	}
	v.touch(rec, now)
	v.Metrics.hitOK.Add(1)
	return true
}

// decideMissed answers for a cached record that hitOK did not let in:
// decide, with the cache hit counted.
func (v *Verifier) decideMissed(rec *record, now int64, perm keygate.PermissionSet, ip netip.Addr) (Principal, error) {
	v.Metrics.hit()
	return v.decide(rec, now, perm, ip)
}

// bearerToken returns the token of "Bearer <token>". The scheme is matched
// without regard to case (RFC 9110). Whether the token is one word is
// checked only if it is not a credential (authenticateSlow).
func bearerToken(h string) (string, bool) {
	const scheme = "Bearer "
	if len(h) <= len(scheme) || (h[:len(scheme)] != scheme && !strings.EqualFold(h[:len(scheme)], scheme)) {
		return "", false
	}
	tok := h[len(scheme):]
	if tok[0] == ' ' {
		tok = strings.TrimLeft(tok, " ")
	}
	return tok, tok != "" && tok[0] > ' '
}

// lookup returns the record of a standard key by its ID body, or nil when it
// does not exist.
func (v *Verifier) lookup(ctx context.Context, id string, now int64) (*record, error) {
	if rec, known := v.cache.get(id, now); known {
		v.Metrics.cache(rec != nil)
		return rec, nil
	}
	v.Metrics.miss()
	return v.load(ctx, v.cache, id, now, func(tx keygate.Tx) (*record, error) {
		k, err := tx.FindAPIKeyCredential(ctx, "apikey_"+id)
		if err != nil {
			return nil, err
		}
		rec, err := loadRotation(ctx, tx, k, now)
		if err == nil {
			v.attachControls(rec, k, now)
		}
		return rec, err
	})
}

// lookupPartner returns the record of a partner key by its ID body.
func (v *Verifier) lookupPartner(ctx context.Context, id string, now int64) (*record, error) {
	if rec, known := v.partners.get(id, now); known {
		v.Metrics.cache(rec != nil)
		return rec, nil
	}
	v.Metrics.miss()
	return v.load(ctx, v.partners, id, now, func(tx keygate.Tx) (*record, error) {
		p, err := tx.FindPartnerByKeyID(ctx, "psk_"+id)
		if err != nil {
			return nil, err
		}
		r := &record{
			kind: uint8(credential.KindPartnerKey), credentialID: strings.Clone(p.KeyID), env: envCodeOf(p.Environment),
			permissions: keygate.AllPermissionSet, rare: &rareState{partnerID: strings.Clone(p.ID)}, active: true,
		}
		copy(r.hash[:], p.KeyHash)
		return r, nil
	})
}

// load reads a credential from the store on a miss. Concurrent misses of
// one key share one read. The result is cached only if no invalidation
// happened since the read began, so a read that raced with a change can't
// put a stale record back; and only once Run has begun following the
// change feed. The check comes after the insert too (see cacheRead): an
// invalidation between a check and the insert would find nothing to
// remove and leave the stale record cached.
func (v *Verifier) load(ctx context.Context, c *cache, key string, now int64, find func(keygate.Tx) (*record, error)) (*record, error) {
	gen := v.gen.Load()
	// The read is bounded by LoadTimeout twice: by its context, and by
	// waiting no longer than that for it, should the driver not notice the
	// context (a connection that hangs without failing).
	return v.flights.do(flightKey{c, key}, gen, v.cfg.LoadTimeout+100*time.Millisecond, v.localReads, func() (*record, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.LoadTimeout)
		defer cancel()
		var rec *record
		err := v.read(ctx, func(tx keygate.Tx) (err error) {
			rec, err = find(tx)
			return err
		})
		switch {
		case keygate.ErrorCode(err) == keygate.CodeNotFound:
			v.cacheRead(c, key, gen, func() { c.putAbsent(strings.Clone(key), now, now+v.cfg.NegativeTTL.Nanoseconds()) })
			return nil, nil
		case err != nil:
			return nil, err
		}
		v.cacheRead(c, key, gen, func() { c.put(key, rec) })
		return rec, nil
	})
}

// cacheRead caches what a read begun at invalidation generation gen found,
// by put, unless Run is not following the feed or an invalidation came
// since. An invalidation may come while put runs, or just before, after the
// first check: Invalidate bumps the generation before it removes, so either
// it removes the record put here or the check after put sees the new
// generation and removes it.
func (v *Verifier) cacheRead(c *cache, key string, gen uint64, put func()) {
	if !v.started.Load() || v.gen.Load() != gen {
		return
	}
	if v.beforePut != nil {
		v.beforePut()
	}
	put()
	if v.gen.Load() != gen {
		c.remove(key)
	}
}

// Invalidate forgets what is cached of a credential (by entity ID,
// "apikey_…"), so that the next request reads it anew. Call it after a
// change commits; the change feed calls it for changes of other processes.
func (v *Verifier) Invalidate(entityID string) {
	v.gen.Add(1)
	v.noteWarm(entityID)
	v.cache.remove(credential.IDBody(entityID))
	v.partners.remove(credential.IDBody(entityID))
	v.legacyMu.Lock()
	if key, ok := v.legacyIDs[entityID]; ok {
		v.legacy.remove(key)
		delete(v.legacyIDs, entityID)
	}
	if token, ok := v.clientIDs[entityID]; ok {
		v.clients.remove(token)
		delete(v.clientIDs, entityID)
	}
	v.legacyMu.Unlock()
}

// keyRecord makes the record of a key found in the store.
func keyRecord(k *keygate.APIKey, err error) (*record, error) {
	if err != nil {
		return nil, err
	}
	return newRecord(k), nil
}

// invalidateAll forgets everything cached.
func (v *Verifier) invalidateAll() {
	v.gen.Add(1)
	v.noteWarmAll()
	v.cache.clear()
	v.legacy.clear()
	v.clients.clear()
	v.partners.clear()
}

// Started reports whether Run is following the change feed, and so whether
// records are cached.
func (v *Verifier) Started() bool { return v.started.Load() }

// Cached returns the number of credentials cached.
func (v *Verifier) Cached() int { return v.cache.len() + v.legacy.len() }

// read runs fn outside any transaction where the store can (one-row
// lookups need none, and it saves round trips and statement parsing), else
// in a read-only transaction.
func (v *Verifier) read(ctx context.Context, fn func(keygate.Tx) error) error {
	if r, ok := v.cfg.Store.(keygate.DirectReader); ok {
		return r.ReadDirect(ctx, fn)
	}
	return v.cfg.Store.View(ctx, fn)
}
