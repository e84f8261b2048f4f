package keygate

import (
	"context"
	"time"
)

// RequestCounter is implemented by stores that let the nodes of a cluster
// share the API's per-client request counts (PostgreSQL), so that a client
// gets the rate limit once across the cluster, not once per node. Nodes
// count locally and add their counts in batches; no request waits on it.
type RequestCounter interface {
	// AddRequestCounts adds counts to the cluster's totals, records that
	// node is alive at now, and returns the totals of the rows it touched
	// and how many nodes were alive lately (at least 1). Counts' BlockedUntil
	// raise the rows' (a node that refused a client tells the others).
	AddRequestCounts(ctx context.Context, node string, counts []RequestCount, now time.Time) (totals []RequestCount, nodes int, err error)
}

// RequestCount is how many requests a client made in one window of one
// surface, and until when it is refused.
type RequestCount struct {
	// Scope names the surface counted (an environment's API).
	Scope string
	// Client is the client's IP address.
	Client string
	// Window is the start of the one-minute window counted.
	Window       time.Time
	Requests     int64
	BlockedUntil time.Time
}
