package auth

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/keygate/keygate"
)

// The errors of a key's controls (see keygate's key_controls.go). Both
// refusals are Paddle's forbidden: the key is valid, this request is not
// permitted (docs/decisions.md). They are shared values: callers must not
// modify them.
var (
	ErrIPNotAllowed = &keygate.Error{Code: keygate.CodeForbidden, Message: "This API key can't be used from this IP address."}
	ErrNoCredits    = &keygate.Error{Code: keygate.CodeForbidden, Message: "This API key has no credits left. It works again when its owner sets its credits or at its next refill."}
)

// RateLimited is the error of a request over its key's rate limit: 429
// too_many_requests, with Retry-After.
type RateLimited struct {
	err        *keygate.Error
	retryAfter int
}

// Error implements error.
func (e *RateLimited) Error() string { return e.err.Error() }

// Unwrap lets keygate.ErrorCode find the code inside.
func (e *RateLimited) Unwrap() error { return e.err }

// RetryAfterSeconds implements wire.RetryAfter: the seconds until the
// window that refused the request ends, at least 1.
func (e *RateLimited) RetryAfterSeconds() int { return e.retryAfter }

// controls are a cached key's controls, behind its record's rare pointer:
// a key without any costs its requests one nil check.
type controls struct {
	// allowed is the IP allowlist; nil for any address. v4 holds its IPv4
	// networks as masked words, compared with two instructions each.
	allowed []netip.Prefix
	v4      []v4Net
	// usage counts the key's requests against its rate limit and credits;
	// nil when it has neither.
	usage *usage
}

// v4Net is an IPv4 network as words: an address is in it when its bits
// under mask are addr.
type v4Net struct{ addr, mask uint32 }

// newControls makes the controls of an allowlist.
func newControls(allowed []netip.Prefix) *controls {
	c := &controls{allowed: allowed}
	for _, p := range allowed {
		if p.Addr().Is4() {
			a := p.Addr().As4()
			mask := ^uint32(0) << (32 - p.Bits())
			if p.Bits() == 0 {
				mask = 0
			}
			c.v4 = append(c.v4, v4Net{addr: binary.BigEndian.Uint32(a[:]) & mask, mask: mask})
		}
	}
	return c
}

// allows reports whether ip may use the key.
func (c *controls) allows(ip netip.Addr) bool {
	if c.allowed == nil {
		return true
	}
	ip = ip.Unmap()
	if ip.Is4() {
		a := ip.As4()
		w := binary.BigEndian.Uint32(a[:])
		for _, n := range c.v4 {
			if w&n.mask == n.addr {
				return true
			}
		}
		return false
	}
	for _, p := range c.allowed {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// usage is what one node counts of one key's requests: its rate-limit
// window and its credits. It outlives the key's cached record (a reload
// finds it again in Verifier.usages), so that counts not yet shared are
// never lost. Every field is under mu.
type usage struct {
	id string // "apikey_…"
	mu sync.Mutex

	// The rate limit: limit requests per period (nanoseconds; 0 for no
	// limit), in fixed windows aligned to the clock.
	limit, period int64
	per           keygate.RatePeriod
	window        int64 // start of the current window (Unix nanoseconds)
	total         int64 // the cluster's count of window at the last share
	pending       int64 // admitted here since the last share began
	sharing       int64 // admitted here, being added by the share in progress

	// The credits: avail is what this node may still spend (the balance
	// at the last share, less what it spent since); unshared is spent
	// here and not yet charged, charging is being charged.
	credits            bool
	avail              int64
	unshared, charging int64
	setAt              time.Time // the balance's RefilledAt, to notice it set anew
	nextRefill         int64     // Unix nanoseconds; 0 for none
	refresh            bool      // read the balance at the next share
	syncedAt, usedAt   int64
}

// take counts one request at now against the key's rate limit and
// credits, or returns why it is refused. nodes is how many nodes share the
// rate limit.
func (u *usage) take(now int64, nodes int64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.usedAt = now
	if u.period > 0 {
		if w := now - now%u.period; w != u.window {
			u.window, u.total, u.pending = w, 0, 0
		}
		left, local := u.limit-u.total, u.pending+u.sharing
		if local >= left || nodes > 1 && local >= (left+nodes-1)/nodes {
			// Past the limit, or past this node's part of what is left
			// until the next share tells it more.
			return u.rateLimited(now)
		}
	}
	if u.credits {
		if u.avail <= 0 {
			u.refresh = true // a top-up or refill is learnt at the next share
			return ErrNoCredits
		}
		u.avail--
		u.unshared++
	}
	if u.period > 0 {
		u.pending++
	}
	return nil
}

// rateLimited returns the refusal of a request at now, retrying when the
// window ends.
func (u *usage) rateLimited(now int64) error {
	wait := time.Duration(u.window + u.period - now)
	secs := max(int((wait+time.Second-1)/time.Second), 1)
	return &RateLimited{retryAfter: secs, err: &keygate.Error{Code: keygate.CodeTooManyRequests, Message: fmt.Sprintf(
		"This API key exceeded its rate limit of %d requests per %s. Retry after the number of seconds in the Retry-After header.", u.limit, u.per)}}
}

// configure sets the usage's limits from k, as loaded at now; counts
// survive unless the limit itself changed.
func (u *usage) configure(k *keygate.APIKey, now int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	var limit, period int64
	var per keygate.RatePeriod
	if r := k.RateLimit; r != nil {
		limit, period, per = r.Requests, int64(r.Per.Duration()), r.Per
	}
	if limit != u.limit || period != u.period {
		u.limit, u.period, u.per, u.window, u.total, u.pending = limit, period, per, 0, 0, 0
	}
	c := k.Credits
	if c == nil {
		u.credits, u.unshared, u.charging = false, 0, 0
		return
	}
	if !u.credits || !c.RefilledAt.Equal(u.setAt) {
		// New credits, or a balance set anew: start from it. Else the
		// stored balance may predate a charge; the next share reads it.
		u.avail, u.setAt, u.syncedAt = c.Remaining-u.unshared-u.charging, c.RefilledAt, now
	}
	u.credits, u.refresh = true, true
	if next := c.NextRefill(); !next.IsZero() {
		u.nextRefill = next.UnixNano()
	} else {
		u.nextRefill = 0
	}
}

// attachControls gives rec the controls of k, loaded at now, finding or
// making its usage.
func (v *Verifier) attachControls(rec *record, k *keygate.APIKey, now int64) {
	limited := k.RateLimit != nil || k.Credits != nil
	if !limited {
		v.usageMu.Lock()
		delete(v.usages, k.ID)
		v.usageMu.Unlock()
	}
	if !k.HasControls() {
		return
	}
	c := newControls(k.AllowedIPs)
	if limited {
		v.usageMu.Lock()
		u := v.usages[k.ID]
		if u == nil {
			u = &usage{id: k.ID}
			if v.usages == nil {
				v.usages = map[string]*usage{}
			}
			v.usages[k.ID] = u
		}
		v.usageMu.Unlock()
		u.configure(k, now)
		c.usage = u
	}
	rec.rareState().controls = c
}

// passes reports whether a hit may skip decide: the key has no controls
// but an allowlist, which lets ip in. Counting against a rate limit or
// credits is decide's.
func (r *rareState) passes(ip netip.Addr) bool {
	c := r.controls
	return c == nil || c.usage == nil && c.allows(ip)
}
