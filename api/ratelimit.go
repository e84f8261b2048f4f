package api

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// Lockout is how long a client that exceeded the limit is refused, as
// Paddle does.
const Lockout = 60 * time.Second

// rateLimiter counts requests per client IP in fixed one-minute windows.
// A client past the limit is refused for Lockout. It keeps one small entry
// per client seen in the last two minutes.
type rateLimiter struct {
	limit   int
	trusted []netip.Prefix
	now     func() time.Time
	// shared, if set, counts across the cluster instead, under scope.
	shared *SharedLimits
	scope  string

	mu        sync.Mutex
	clients   map[netip.Addr]*client
	nextSweep time.Time
}

type client struct {
	windowStart  time.Time
	count        int
	blockedUntil time.Time
}

// rateLimited is the error of a refused request; it carries Retry-After.
type rateLimited struct {
	err        *keygate.Error
	retryAfter int
}

// Error implements error.
func (e *rateLimited) Error() string { return e.err.Error() }

// Unwrap lets keygate.ErrorCode find the code inside.
func (e *rateLimited) Unwrap() error { return e.err }

// RetryAfterSeconds implements wire.RetryAfter.
func (e *rateLimited) RetryAfterSeconds() int { return e.retryAfter }

func newRateLimiter(limit int, trusted []netip.Prefix, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, trusted: trusted, now: now, clients: map[netip.Addr]*client{}}
}

// allow counts a request from ip and returns a *rateLimited error when it
// must be refused.
func (rl *rateLimiter) allow(ip netip.Addr) error {
	now := rl.now()
	if rl.shared != nil {
		return rl.shared.allow(rl.scope, ip, rl.limit, now)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.sweep(now)
	c := rl.clients[ip]
	if c == nil {
		c = &client{windowStart: now}
		rl.clients[ip] = c
	}
	if now.Before(c.blockedUntil) {
		return refusal(c.blockedUntil.Sub(now))
	}
	if now.Sub(c.windowStart) >= time.Minute {
		c.windowStart, c.count = now, 0
	}
	c.count++
	if c.count > rl.limit {
		c.blockedUntil = now.Add(Lockout)
		return refusal(Lockout)
	}
	return nil
}

// sweep drops, at most once a minute, the clients not seen for two.
func (rl *rateLimiter) sweep(now time.Time) {
	if now.Before(rl.nextSweep) {
		return
	}
	rl.nextSweep = now.Add(time.Minute)
	for ip, c := range rl.clients {
		if now.Sub(c.windowStart) > 2*time.Minute && now.After(c.blockedUntil) {
			delete(rl.clients, ip)
		}
	}
}

func refusal(wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &rateLimited{
		err:        &keygate.Error{Code: keygate.CodeTooManyRequests, Message: "IP address exceeded the allowed rate limit. Retry after the number of seconds in the Retry-After header."},
		retryAfter: secs,
	}
}

// clientIP returns the address a request came from, by wire.ClientIP's
// rule.
func (rl *rateLimiter) clientIP(r *http.Request) netip.Addr {
	return wire.ClientIP(r, rl.trusted)
}
