package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/keygate/keygate"
)

// DefaultShareInterval is how often SharedLimits adds its counts to the
// cluster's.
const DefaultShareInterval = 100 * time.Millisecond

// SharedLimits shares the rate limit's per-client counts among the nodes of
// a cluster, through the database, so that a client gets the limit once
// across the cluster. Each node counts locally and, every Interval, adds
// what it counted to the cluster's totals in one statement and reads them
// back: no request waits on the database.
//
// Between two shares a node estimates what the other nodes admitted since
// its last one, from the rate at which they admitted the client during its
// last interval, and admits the client only while the cluster's estimated
// total stays under the limit; and never more than its part of what is
// left: (limit - cluster total) / nodes alive, rounded up. A request refused on
// an estimate, while the known total is under the limit, is refused with
// Retry-After: 1 and no lockout; past the limit for certain, the client is
// refused for Lockout on every node (a node that refuses it tells the
// others at its next share). docs/cluster.md gives the error bound.
type SharedLimits struct {
	store    keygate.RequestCounter
	node     string
	interval time.Duration
	logger   *slog.Logger

	mu       sync.Mutex
	clients  map[sharedKey]*sharedClient
	nodes    int
	failing  bool
	lastBeat time.Time
	// busy says a request was counted since the last share began; the
	// first to set it sends on wake, so that Run shares an interval later.
	busy bool
	wake chan struct{}
}

// heartbeatEvery is how often an idle node still tells the others it is
// alive (so that they count it among the nodes sharing a client's limit):
// well within the time a node counts as alive after its last share
// (postgres.nodeAlive, 10 s), and rarely enough that an idle node hardly
// uses the database or the CPU.
const heartbeatEvery = 3 * time.Second

type sharedKey struct {
	scope string
	ip    netip.Addr
}

// sharedClient is what a node knows of one client in the current window.
type sharedClient struct {
	window   time.Time
	total    int64 // the cluster's total at the last share, this node's included
	pending  int64 // counted here since the last share began
	sharing  int64 // counted here, being added by the share in progress
	blocked  time.Time
	tell     bool // blocked here: the next share tells the others
	refresh  bool // refused on an estimate: the next share reads the total
	lastSeen time.Time
	// sharedAt is when the last share with this client ended; othersRate
	// is the rate (per second) at which the other nodes admitted it during
	// the interval before, once known (hasRate).
	sharedAt   time.Time
	othersRate float64
	hasRate    bool
}

// NewSharedLimits returns the shared counts of one node over store; start
// it with Run. interval is how often counts are shared (0:
// DefaultShareInterval).
func NewSharedLimits(store keygate.RequestCounter, interval time.Duration, logger *slog.Logger) *SharedLimits {
	if interval <= 0 {
		interval = DefaultShareInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	b := make([]byte, 6)
	rand.Read(b)
	return &SharedLimits{store: store, node: host + "-" + hex.EncodeToString(b), interval: interval, logger: logger,
		clients: map[sharedKey]*sharedClient{}, nodes: 1, wake: make(chan struct{}, 1)}
}

// Node returns the name this node shares its counts under, for the
// verifier's per-key rate limits to count the same nodes (auth.Config.NodeID).
func (s *SharedLimits) Node() string { return s.node }

// Run shares the counts every interval while requests are counted, until
// ctx ends. An idle node does not tick: it only beats every heartbeatEvery,
// and the first request counted after that wakes it, to share an interval
// later as a busy node would.
func (s *SharedLimits) Run(ctx context.Context) {
	timer := time.NewTimer(s.interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			timer.Reset(s.interval)
			continue
		case <-timer.C:
		}
		s.share(ctx, time.Now())
		timer.Reset(s.nextShare())
	}
}

// nextShare returns how long Run waits for the next share: an interval
// while requests are counted, else until the next heartbeat.
func (s *SharedLimits) nextShare() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy {
		return s.interval
	}
	return heartbeatEvery
}

// allow counts a request from ip on scope against limit at now.
func (s *SharedLimits) allow(scope string, ip netip.Addr, limit int, now time.Time) error {
	window := now.Truncate(time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.busy {
		s.busy = true
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	k := sharedKey{scope, ip}
	c := s.clients[k]
	if c == nil {
		c = &sharedClient{window: window}
		s.clients[k] = c
	}
	c.lastSeen = now
	if now.Before(c.blocked) {
		return refusal(c.blocked.Sub(now))
	}
	if !c.window.Equal(window) {
		c.window, c.total, c.pending, c.sharing, c.sharedAt, c.hasRate = window, 0, 0, 0, time.Time{}, false
	}
	left := int64(limit) - c.total
	local := c.pending + c.sharing
	if local >= left {
		c.blocked, c.tell = now.Add(Lockout), true
		return refusal(Lockout)
	}
	if part := (left + int64(s.nodes) - 1) / int64(s.nodes); local >= part {
		c.refresh = true
		return refusal(time.Second) // this node's part is spent until the next share
	}
	if c.hasRate {
		// The others admitted since this node's last share, and up to an
		// interval before it that they had not shared yet.
		if others := c.othersRate * (time.Since(c.sharedAt) + s.interval).Seconds(); float64(local)+others >= float64(left) {
			c.refresh = true
			return refusal(time.Second) // the others have likely used the rest
		}
	}
	c.pending++
	return nil
}

// share adds the counts of the clients seen since the last share to the
// cluster's and reads back the totals.
func (s *SharedLimits) share(ctx context.Context, now time.Time) {
	s.mu.Lock()
	s.busy = false
	var batch []keygate.RequestCount
	for k, c := range s.clients {
		if c.pending == 0 && !c.tell && !c.refresh {
			if now.Sub(c.lastSeen) > 2*time.Minute && now.After(c.blocked) {
				delete(s.clients, k)
			}
			continue
		}
		c.sharing, c.pending, c.refresh = c.pending, 0, false
		rc := keygate.RequestCount{Scope: k.scope, Client: k.ip.String(), Window: c.window, Requests: c.sharing}
		if c.tell {
			rc.BlockedUntil, c.tell = c.blocked, false
		}
		batch = append(batch, rc)
	}
	idle := len(batch) == 0 && now.Sub(s.lastBeat) < heartbeatEvery
	s.mu.Unlock()
	if idle {
		return // nothing to share, and the last heartbeat is recent
	}

	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	totals, nodes, err := s.store.AddRequestCounts(ctx, s.node, batch, now)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		for _, rc := range batch { // count them again next time
			ip, _ := netip.ParseAddr(rc.Client)
			if c := s.clients[sharedKey{rc.Scope, ip}]; c != nil && c.window.Equal(rc.Window) {
				c.pending, c.sharing = c.pending+c.sharing, 0
				c.tell = c.tell || !rc.BlockedUntil.IsZero()
			}
		}
		if !s.failing {
			s.logger.Error("share rate-limit counts; counting locally until the database answers", "err", err)
		}
		s.failing = true
		return
	}
	if s.failing {
		s.logger.Info("share rate-limit counts: the database answers again")
	}
	s.failing = false
	s.nodes, s.lastBeat = max(nodes, 1), now
	for _, t := range totals {
		ip, _ := netip.ParseAddr(t.Client)
		c := s.clients[sharedKey{t.Scope, ip}]
		if c == nil || !c.window.Equal(t.Window) {
			continue
		}
		ended := time.Now()
		if others := t.Requests - c.total - c.sharing; !c.sharedAt.IsZero() && c.total > 0 {
			c.othersRate, c.hasRate = float64(max(others, 0))/ended.Sub(c.sharedAt).Seconds(), true
		}
		c.total, c.sharing, c.sharedAt = t.Requests, 0, ended
		if t.BlockedUntil.After(c.blocked) {
			c.blocked = t.BlockedUntil
		}
	}
}
