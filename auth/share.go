package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate"
)

// DefaultShareInterval is how often a verifier shares what its keys' rate
// limits and credits counted: the same interval as the API's shared per-IP
// limit.
const DefaultShareInterval = 100 * time.Millisecond

// creditsResync is how often the balance of a key used lately, but not on
// this node since its last share, is read again, so that a node learns what
// the others spent before it spends again.
const creditsResync = time.Second

// heartbeatEvery is how often a node with rate-limited keys tells the
// others it is alive when it has no counts to share.
const heartbeatEvery = time.Second

// rateScope is the scope of the keys' rate-limit counts in the store's
// shared counts (keygate.RequestCounter), beside the API's per-IP ones.
const rateScope = "api_key"

// NewNodeID returns a name for this process among the nodes of a cluster:
// its host name and random digits.
func NewNodeID() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// shareLoop shares the keys' usage every ShareInterval until ctx ends,
// and once more then.
func (v *Verifier) shareLoop(ctx context.Context) {
	tick := time.NewTicker(v.cfg.ShareInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			v.shareUsage(context.WithoutCancel(ctx), v.cfg.Now())
			return
		case <-tick.C:
			v.shareUsage(ctx, v.cfg.Now())
		}
	}
}

// shareUsage adds what the keys' rate limits counted here to the cluster's
// counts (when the store shares counts: keygate.RequestCounter) and charges
// the credits spent here, then reads back the totals and balances. No
// request waits on it.
func (v *Verifier) shareUsage(ctx context.Context, now time.Time) {
	v.usageMu.Lock()
	list := make([]*usage, 0, len(v.usages))
	for _, u := range v.usages {
		list = append(list, u)
	}
	v.usageMu.Unlock()
	counter, _ := v.cfg.Store.(keygate.RequestCounter)
	var counts []keygate.RequestCount
	var spends []keygate.CreditSpend
	nowNano := now.UnixNano()
	for _, u := range list {
		u.mu.Lock()
		if counter != nil && u.period > 0 && u.pending > 0 {
			u.sharing, u.pending = u.sharing+u.pending, 0
			counts = append(counts, keygate.RequestCount{Scope: rateScope, Client: u.id, Window: time.Unix(0, u.window).UTC(), Requests: u.sharing})
		}
		if u.credits && (u.unshared > 0 || u.refresh || u.nextRefill != 0 && nowNano >= u.nextRefill ||
			nowNano-u.syncedAt >= int64(creditsResync) && nowNano-u.usedAt < int64(time.Minute)) {
			u.charging, u.unshared, u.refresh = u.unshared, 0, false
			spends = append(spends, keygate.CreditSpend{APIKeyID: u.id, Credits: u.charging})
		}
		u.mu.Unlock()
	}
	// Heartbeat now and then while idle, so that the other nodes count
	// this one (and this one them) before its first request.
	if len(counts) > 0 || counter != nil && len(list) > 0 && now.Sub(v.lastBeat) >= heartbeatEvery {
		v.shareCounts(ctx, counter, counts, now)
	}
	if len(spends) > 0 {
		// Rows are locked in ID order, so that nodes charging at once
		// can't deadlock.
		slices.SortFunc(spends, func(a, b keygate.CreditSpend) int { return strings.Compare(a.APIKeyID, b.APIKeyID) })
		v.chargeCredits(ctx, spends, nowNano)
	}
}

// shareCounts adds rate-limit counts to the cluster's and reads back the
// totals and the number of nodes.
func (v *Verifier) shareCounts(ctx context.Context, counter keygate.RequestCounter, counts []keygate.RequestCount, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	totals, nodes, err := counter.AddRequestCounts(ctx, v.cfg.NodeID, counts, now)
	if err != nil {
		v.shareFailed("share rate-limit counts of keys", err)
		for _, c := range counts {
			if u := v.usageOf(c.Client); u != nil {
				u.mu.Lock()
				u.pending, u.sharing = u.pending+u.sharing, 0 // count them again next time
				u.mu.Unlock()
			}
		}
		return
	}
	v.nodes.Store(int64(max(nodes, 1)))
	v.lastBeat = now
	for _, t := range totals {
		if u := v.usageOf(t.Client); u != nil {
			u.mu.Lock()
			if u.window == t.Window.UnixNano() {
				u.total = t.Requests
			}
			u.sharing = 0
			u.mu.Unlock()
		}
	}
	v.shareOK()
}

// chargeCredits charges the credits spent here and learns each balance:
// what this node may spend is the balance less what it spent since.
func (v *Verifier) chargeCredits(ctx context.Context, spends []keygate.CreditSpend, now int64) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	balances, err := v.cfg.SpendCredits(ctx, spends)
	if err != nil {
		v.shareFailed("charge credits", err)
		for _, s := range spends {
			if u := v.usageOf(s.APIKeyID); u != nil {
				u.mu.Lock()
				u.unshared, u.charging, u.refresh = u.unshared+u.charging, 0, true
				u.mu.Unlock()
			}
		}
		return
	}
	for _, b := range balances {
		u := v.usageOf(b.APIKeyID)
		if u == nil || b.Credits == nil {
			continue // its controls changed: the change feed reloads it
		}
		u.mu.Lock()
		u.charging, u.syncedAt = 0, now
		u.avail = b.Credits.Remaining - u.unshared
		u.setAt = b.Credits.RefilledAt
		if next := b.Credits.NextRefill(); !next.IsZero() {
			u.nextRefill = next.UnixNano()
		}
		u.mu.Unlock()
	}
	v.shareOK()
}

// Nodes returns how many nodes share the keys' rate limits, as this one
// last learnt (1 until it shares, and on a store that does not share
// counts).
func (v *Verifier) Nodes() int { return int(v.nodes.Load()) }

// usageOf returns the usage of a key, nil if it has none here.
func (v *Verifier) usageOf(id string) *usage {
	v.usageMu.Lock()
	defer v.usageMu.Unlock()
	return v.usages[id]
}

// shareFailed logs the first of a run of failed shares.
func (v *Verifier) shareFailed(what string, err error) {
	if !v.shareFailing.Swap(true) {
		v.cfg.Logger.Error(what+"; counting locally until the database answers", "err", err)
	}
}

// shareOK notes a share that worked, logging the end of a run of failures.
func (v *Verifier) shareOK() {
	if v.shareFailing.Swap(false) {
		v.cfg.Logger.Info("sharing keys' rate limits and credits: the database answers again")
	}
}

// spendCredits is Config.SpendCredits when none is given: the same spend,
// without writing api_key.usage_threshold.
func (v *Verifier) spendCredits(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error) {
	now := v.cfg.Now()
	out := make([]keygate.CreditBalance, 0, len(spends))
	err := v.cfg.Store.Update(ctx, func(tx keygate.Tx) error {
		out = out[:0]
		for _, s := range spends {
			k, _, err := keygate.SpendCredits(ctx, tx, s, now)
			if err != nil {
				return err
			}
			b := keygate.CreditBalance{APIKeyID: s.APIKeyID}
			if k != nil && k.Credits != nil {
				c := *k.Credits
				b.Credits = &c
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}
