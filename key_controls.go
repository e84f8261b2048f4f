package keygate

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Limits of a key's controls (keygate's extension; Paddle's keys have none).
const (
	// MaxAllowedIPs bounds the entries of a key's IP allowlist.
	MaxAllowedIPs = 100
	// MaxRateLimit bounds a rate limit's requests per period.
	MaxRateLimit = 1_000_000_000
	// MaxCredits bounds a credit balance and a refill's amount.
	MaxCredits = 1_000_000_000_000
)

// CreditThresholds are the percentages of a key's credits whose use writes
// api_key.usage_threshold, once per crossing.
var CreditThresholds = []int{80, 100}

// RatePeriod is the period a rate limit counts requests over.
type RatePeriod string

// The periods of a rate limit. Each is a fixed window aligned to the clock
// (a second, minute or hour of UTC).
const (
	PerSecond RatePeriod = "second"
	PerMinute RatePeriod = "minute"
	PerHour   RatePeriod = "hour"
)

// Duration returns the length of the period; 0 for an unknown one.
func (p RatePeriod) Duration() time.Duration {
	switch p {
	case PerSecond:
		return time.Second
	case PerMinute:
		return time.Minute
	case PerHour:
		return time.Hour
	}
	return 0
}

// RateLimit is the most requests a key may make per period, across every
// node of a cluster (within docs/cluster.md's bound).
type RateLimit struct {
	Requests int64      `json:"requests"`
	Per      RatePeriod `json:"per"`
}

// RefillInterval is how often a credit balance is refilled.
type RefillInterval string

// The refill intervals: at 00:00 UTC each day, or on the first of each
// month at 00:00 UTC.
const (
	RefillDaily   RefillInterval = "day"
	RefillMonthly RefillInterval = "month"
)

// CreditRefill sets a key's balance back to Amount at the start of every
// Interval (it replaces the balance; it does not add to it).
type CreditRefill struct {
	Amount   int64          `json:"amount"`
	Interval RefillInterval `json:"interval"`
}

// CreditsSet is what setting a key's credits takes: the balance, and how it
// is refilled (nil: never).
type CreditsSet struct {
	Remaining int64         `json:"remaining"`
	Refill    *CreditRefill `json:"refill"`
}

// Credits is a key's credit balance: each request it authenticates spends
// one; at zero it is refused.
type Credits struct {
	Remaining int64
	// Granted is the balance as last set or refilled: the 100% that
	// CreditThresholds are percentages of.
	Granted int64
	Refill  *CreditRefill
	// RefilledAt is when the balance was last set or refilled.
	RefilledAt time.Time
	// Notified is the highest of CreditThresholds whose event was written
	// since RefilledAt; 0 for none.
	Notified int
}

// NewCredits returns the credits of a balance set at now. Thresholds
// already passed by the balance set are not announced.
func NewCredits(in CreditsSet, now time.Time) *Credits {
	c := &Credits{Remaining: in.Remaining, Granted: in.Remaining, Refill: in.Refill, RefilledAt: now.UTC()}
	c.Notified = c.level()
	return c
}

// NextRefill returns when the balance is refilled next; zero if never.
func (c *Credits) NextRefill() time.Time {
	if c.Refill == nil {
		return time.Time{}
	}
	y, m, d := c.RefilledAt.UTC().Date()
	if c.Refill.Interval == RefillMonthly {
		return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// Spend takes n credits at now, refilling the balance first if a refill
// came due, and never below zero. It returns the thresholds it crossed, in
// order: each is announced once until the next refill or setting.
func (c *Credits) Spend(n int64, now time.Time) (crossed []int) {
	if next := c.NextRefill(); !next.IsZero() && !now.Before(next) {
		c.Remaining, c.Granted, c.RefilledAt, c.Notified = c.Refill.Amount, c.Refill.Amount, now.UTC(), 0
	}
	c.Remaining = max(c.Remaining-n, 0)
	level := c.level()
	for _, t := range CreditThresholds {
		if c.Notified < t && t <= level {
			crossed = append(crossed, t)
		}
	}
	c.Notified = max(c.Notified, level)
	return crossed
}

// level returns the highest of CreditThresholds the balance has reached.
func (c *Credits) level() int {
	if c.Remaining <= 0 {
		return 100
	}
	if used := c.Granted - c.Remaining; used*100 >= 80*c.Granted {
		return 80
	}
	return 0
}

// ParseAllowedIPs validates an IP allowlist: at most MaxAllowedIPs CIDRs
// (IPv4 or IPv6), or single addresses, which stand for themselves. A CIDR
// with bits set past its prefix length is refused rather than widened.
// Duplicates are dropped; an empty list means none (any address).
func ParseAllowedIPs(list []string) ([]netip.Prefix, error) {
	var v validation
	out := parseAllowedIPs(&v, list)
	return out, v.err()
}

func parseAllowedIPs(v *validation, list []string) []netip.Prefix {
	if len(list) > MaxAllowedIPs {
		v.add("allowed_ips", "must have at most %d entries, not %d", MaxAllowedIPs, len(list))
		return nil
	}
	var out []netip.Prefix
	for i, s := range list {
		p, err := parseCIDR(s)
		if err != nil {
			v.add("allowed_ips", "entry %d, %q: %s", i+1, s, err)
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// parseCIDR parses one allowlist entry.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("is not a CIDR (like 10.0.0.0/8 or 2001:db8::/32) or an IP address")
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("is an IPv4-mapped IPv6 address; write IPv4 addresses as IPv4")
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("has bits set past its prefix length; did you mean %s?", m)
	}
	return p, nil
}

// validateRateLimit checks a rate limit.
func validateRateLimit(v *validation, r *RateLimit) {
	if r == nil {
		return
	}
	if r.Requests < 1 || r.Requests > MaxRateLimit {
		v.add("rate_limit", "requests must be between 1 and %d", MaxRateLimit)
	}
	if r.Per.Duration() == 0 {
		v.add("rate_limit", "per must be one of second, minute, hour")
	}
}

// validateCredits checks credits to set.
func validateCredits(v *validation, c *CreditsSet) {
	if c == nil {
		return
	}
	if c.Remaining < 0 || c.Remaining > MaxCredits {
		v.add("credits", "remaining must be between 0 and %d", int64(MaxCredits))
	}
	if r := c.Refill; r != nil {
		if r.Amount < 1 || r.Amount > MaxCredits {
			v.add("credits", "refill amount must be between 1 and %d", int64(MaxCredits))
		}
		if r.Interval != RefillDaily && r.Interval != RefillMonthly {
			v.add("credits", "refill interval must be one of day, month")
		}
	}
}

// AllowsIP reports whether the key may be used from ip: any address when
// it has no allowlist.
func (k *APIKey) AllowsIP(ip netip.Addr) bool {
	if len(k.AllowedIPs) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range k.AllowedIPs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// HasControls reports whether the key carries an allowlist, a rate limit
// or credits.
func (k *APIKey) HasControls() bool {
	return len(k.AllowedIPs) > 0 || k.RateLimit != nil || k.Credits != nil
}

// CreditSpend is what one node's requests spent of a key's credits since
// it last shared them.
type CreditSpend struct {
	APIKeyID string
	Credits  int64
}

// CreditBalance is a key's credits after a spend; Credits is nil for a key
// without credits (or one that no longer exists).
type CreditBalance struct {
	APIKeyID string
	Credits  *Credits
}

// SpendCredits applies one spend in tx at now (which must be an Update
// transaction: the key's row is locked): it finds the key, spends its
// credits and writes them back when they changed. It returns the key (nil
// if it does not exist) and the thresholds crossed.
func SpendCredits(ctx context.Context, tx Tx, sp CreditSpend, now time.Time) (*APIKey, []int, error) {
	k, err := tx.FindAPIKeyByID(ctx, sp.APIKeyID)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if k.Credits == nil {
		return k, nil, nil
	}
	before := *k.Credits
	crossed := k.Credits.Spend(sp.Credits, now)
	if *k.Credits == before {
		return k, nil, nil
	}
	return k, crossed, tx.UpdateAPIKeyCredits(ctx, k)
}
