// Package auth turns an Authorization header into a Principal: it parses
// the token, finds its credential, checks the secret in constant time, the
// status and expiry at this instant, and the permission the route needs.
//
// Credential records are cached in memory by ID, decisions never: every
// request evaluates status, expiry and grace windows anew. The cache is kept
// true by the store's change feed, polled every PollInterval and, on
// PostgreSQL, woken by LISTEN/NOTIFY; a change made in this process is
// applied at once through Invalidate. Unknown IDs are cached negatively for a
// bounded time so that random tokens cannot hammer the store, and concurrent
// misses of one ID share one store read.
//
// The hot path (a cached, valid key) does not allocate and never touches the
// store: last use is kept in memory and written in batches.
package auth
