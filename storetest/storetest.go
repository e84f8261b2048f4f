// Package storetest is the conformance suite of keygate.Store: one set of
// tests that every storage engine must pass, so that keygate behaves the
// same on SQLite and on PostgreSQL. A behaviour change to a store lands here
// first.
//
// An engine's tests call Run with a Harness that opens a fresh, isolated
// store per test. The suite drives the real use cases of package app over
// it, with a controlled clock.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// Harness is what an engine provides to the suite.
type Harness struct {
	// Open returns a new, empty, migrated store that no other test uses, and
	// closes it when tb ends.
	Open func(tb testing.TB) keygate.Store
	// Dump returns every byte the engine has stored for s: the database
	// files for SQLite, every row of every table for PostgreSQL. The suite
	// searches it for secrets.
	Dump func(tb testing.TB, s keygate.Store) []byte
}

// Run runs every test of the suite against h.
func Run(t *testing.T, h Harness) {
	tests := map[string]func(*testing.T, Harness){
		"Accounts":             testAccounts,
		"Users":                testUsers,
		"APIKeyRoundTrip":      testAPIKeyRoundTrip,
		"APIKeyLifecycle":      testAPIKeyLifecycle,
		"APIKeyReactivation":   testAPIKeyReactivation,
		"APIKeyScope":          testAPIKeyScope,
		"APIKeyList":           testAPIKeyList,
		"APIKeyConcurrent":     testAPIKeyConcurrent,
		"LegacyKey":            testLegacyKey,
		"Events":               testEvents,
		"Rollback":             testRollback,
		"NoSecretsAtRest":      testNoSecretsAtRest,
		"PaginationCountLimit": testPaginationCountLimit,
		"ChangeFeed":           testChangeFeed,
		"ChangeFeedConcurrent": testChangeFeedConcurrent,
		"ReadDirect":           testReadDirect,
		"APIKeyPatch":          testAPIKeyPatch,
		"NotificationSettings": testNotificationSettings,
		"FanOut":               testFanOut,
		"Claims":               testClaims,
		"Replay":               testReplay,
		"ExpiryNotices":        testExpiryNotices,
		"Sessions":             testSessions,
		"Usage":                testUsage,
		"UsageForbidden":       testUsageForbidden,
		"ClientTokens":         testClientTokens,
		"RotationCreate":       testRotationCreate,
		"RotationComplete":     testRotationComplete,
		"RotationSupersede":    testRotationSupersede,
		"RotationRefused":      testRotationRefused,
		"RotationExpiry":       testRotationExpiry,
		"RotationList":         testRotationList,
		"KeyImport":            testKeyImport,
		"KeyPrefix":            testKeyPrefix,
		"SetupLinks":           testSetupLinks,
		"ExposureHighRisk":     testExposureHighRisk,
		"ExposureLowRisk":      testExposureLowRiskAndDuplicates,
		"ExposureConcurrent":   testExposureConcurrent,
		"SignInAttempts":       testSignInAttempts,
		"RecentAPIKeys":        testRecentAPIKeys,
		"AuditKeyActions":      testAuditKeyActions,
		"AuditSessions":        testAuditSessions,
		"AuditList":            testAuditList,
		"AuditConcurrent":      testAuditConcurrent,
		"AuditTamper":          testAuditTamper,
		"AuditRetention":       testAuditRetention,
		"KeyControls":          testKeyControls,
		"APIKeyCredential":     testAPIKeyCredential,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, h)
		})
	}
}

// Clock is a controlled clock for the use cases.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// T0 is where the suite's clocks start: a time with sub-second digits, so
// that any loss of precision on the way through a store shows.
var T0 = time.Date(2026, 11, 23, 9, 30, 15, 123456000, time.UTC)

// bundle is what most tests need.
type bundle struct {
	ctx   context.Context
	store keygate.Store
	svc   *app.Service
	clock *Clock
}

// Settle waits until what was written through s is numbered in the change
// feed and chained in the audit log, where the store does that just after
// commit (sqlstore's Settle: PostgreSQL); elsewhere it returns at once. A
// node reading the feed learns of a change within milliseconds of its
// commit; a test that reads the feed right after a write settles first.
func Settle(tb testing.TB, s keygate.Store) {
	tb.Helper()
	if st, ok := s.(interface{ Settle(context.Context) error }); ok {
		require.NoError(tb, st.Settle(context.Background()))
	}
}

// settle is Settle for the bundle's store.
func (b *bundle) settle(t *testing.T) {
	t.Helper()
	Settle(t, b.store)
}

func setup(t *testing.T, h Harness) *bundle {
	t.Helper()
	s := h.Open(t)
	clock := NewClock(T0)
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	return &bundle{ctx: context.Background(), store: s, svc: &app.Service{Store: s, Now: clock.Now, Sealer: sealer}, clock: clock}
}

// mustAccount creates an account in env.
func (b *bundle) mustAccount(t *testing.T, env keygate.Environment) *keygate.Account {
	t.Helper()
	a, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: env, Name: "Acme " + string(env)})
	require.NoError(t, err)
	return a
}

// mustKey creates a key in account a with permissions ps.
func (b *bundle) mustKey(t *testing.T, a *keygate.Account, name string, ps ...keygate.Permission) (*keygate.APIKey, string) {
	t.Helper()
	if len(ps) == 0 {
		ps = []keygate.Permission{"customer.read"}
	}
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(a.ID), a.ID, keygate.APIKeyCreate{Name: name, Permissions: ps})
	require.NoError(t, err)
	return k, token
}

// events returns every event of account a, oldest first.
func (b *bundle) events(t *testing.T, a *keygate.Account) []*keygate.Event {
	t.Helper()
	list, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(a.ID), keygate.EventFilter{Page: keygate.Page{Limit: keygate.MaxPageSize}})
	require.NoError(t, err)
	return list
}

func ptr[T any](v T) *T { return &v }
