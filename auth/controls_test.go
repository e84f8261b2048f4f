package auth_test

import (
	"encoding/json"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/storetest"
	"github.com/keygate/keygate/wire"
)

// controlledKey creates a key with the controls of in.
func (b *bundle) controlledKey(t testing.TB, in keygate.APIKeyCreate) (*keygate.APIKey, string) {
	t.Helper()
	in.Name, in.Permissions = "limited", []keygate.Permission{"customer.read"}
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, in)
	require.NoError(t, err)
	b.caughtUp(t)
	return k, token
}

func (b *bundle) authFrom(token, ip string) error {
	addr := netip.Addr{}
	if ip != "" {
		addr = netip.MustParseAddr(ip)
	}
	_, err := b.v.AuthenticateFrom(b.ctx, keygate.Live, "Bearer "+token, keygate.PermissionBit("customer.read"), addr)
	return err
}

func TestIPAllowlist(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, token := b.controlledKey(t, keygate.APIKeyCreate{AllowedIPs: []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"}})
	_, open := b.key(t, "customer.read")
	tests := []struct {
		ip  string
		err error
	}{
		{"10.1.2.3", nil},
		{"192.0.2.7", nil},
		{"2001:db8::1", nil},
		{"::ffff:10.1.2.3", nil}, // an IPv4 client seen through an IPv6 socket
		{"11.0.0.1", auth.ErrIPNotAllowed},
		{"192.0.2.8", auth.ErrIPNotAllowed},
		{"2001:db9::1", auth.ErrIPNotAllowed},
		{"", auth.ErrIPNotAllowed}, // an unknown address is outside every list
	}
	for _, tt := range tests {
		for range 2 { // a miss, then a hit
			require.Equal(t, tt.err, b.authFrom(token, tt.ip), tt.ip)
			require.NoError(t, b.authFrom(open, tt.ip), "a key without a list is used from anywhere")
		}
	}
	// The allowlist is checked before the permission: a refused address
	// learns nothing of what the key may do.
	_, err := b.v.AuthenticateFrom(b.ctx, keygate.Live, "Bearer "+token, keygate.PermissionBit("price.read"), netip.MustParseAddr("11.0.0.1"))
	require.Equal(t, auth.ErrIPNotAllowed, err)

	// An edit is in force at once; an empty list lets every address in.
	_, err = b.svc.UpdateAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID, keygate.APIKeyUpdate{AllowedIPs: &[]string{"11.0.0.0/8"}})
	require.NoError(t, err)
	b.v.Invalidate(k.ID)
	require.Equal(t, auth.ErrIPNotAllowed, b.authFrom(token, "10.1.2.3"))
	require.NoError(t, b.authFrom(token, "11.0.0.1"))
	_, err = b.svc.UpdateAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID, keygate.APIKeyUpdate{AllowedIPs: &[]string{}})
	require.NoError(t, err)
	b.v.Invalidate(k.ID)
	require.NoError(t, b.authFrom(token, "10.1.2.3"))
	require.NoError(t, b.authFrom(token, ""))
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The clock is controlled: every request of the test is in one window.
	setClock(b.clock, b.clock.Now().Truncate(time.Second).Add(time.Second+100*time.Millisecond))
	_, token := b.controlledKey(t, keygate.APIKeyCreate{RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerSecond}})
	_, other := b.controlledKey(t, keygate.APIKeyCreate{RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerSecond}})
	for i := range 5 {
		require.NoError(t, b.authFrom(token, "10.0.0.1"), "request %d", i+1)
	}
	err := b.authFrom(token, "10.0.0.1")
	var limited *auth.RateLimited
	require.True(t, errors.As(err, &limited), "the sixth request in a second: %v", err)
	require.Equal(t, keygate.CodeTooManyRequests, keygate.ErrorCode(err))
	require.Equal(t, 1, limited.RetryAfterSeconds())
	require.Contains(t, err.Error(), "rate limit of 5 requests per second")
	require.NoError(t, b.authFrom(other, "10.0.0.1"), "each key has its own limit")

	// A request refused for its permission counts nothing.
	_, err = b.v.AuthenticateFrom(b.ctx, keygate.Live, "Bearer "+other, keygate.PermissionBit("price.read"), netip.Addr{})
	require.Equal(t, auth.ErrForbidden, err)
	for range 4 {
		require.NoError(t, b.authFrom(other, "10.0.0.1"))
	}
	require.Error(t, b.authFrom(other, "10.0.0.1"))

	b.clock.Add(time.Second) // the next window
	require.NoError(t, b.authFrom(token, "10.0.0.1"))
}

func TestRateLimitRetryAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	setClock(b.clock, b.clock.Now().Truncate(time.Hour).Add(time.Hour+59*time.Minute+30*time.Second))
	_, token := b.controlledKey(t, keygate.APIKeyCreate{RateLimit: &keygate.RateLimit{Requests: 1, Per: keygate.PerHour}})
	require.NoError(t, b.authFrom(token, ""))
	var limited *auth.RateLimited
	require.ErrorAs(t, b.authFrom(token, ""), &limited)
	require.Equal(t, 30, limited.RetryAfterSeconds(), "until the hour's window ends")
}

// thresholdEvents returns the thresholds of the key's api_key.usage_threshold
// events, oldest first.
func (b *bundle) thresholdEvents(t testing.TB, id string) []int {
	t.Helper()
	events, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(b.acc.ID), keygate.EventFilter{
		Types: []keygate.EventType{keygate.EventUsageThreshold}, EntityID: id})
	require.NoError(t, err)
	var out []int
	for _, e := range events {
		var d wire.UsageThreshold
		require.NoError(t, json.Unmarshal(e.Data, &d))
		require.Equal(t, id, d.APIKey.ID)
		out = append(out, d.Threshold)
	}
	return out
}

// remaining returns the key's stored balance.
func (b *bundle) remaining(t testing.TB, id string) int64 {
	t.Helper()
	k, err := b.svc.GetAPIKey(b.ctx, app.AccountScope(b.acc.ID), id)
	require.NoError(t, err)
	return k.Credits.Remaining
}

func TestCredits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k, token := b.controlledKey(t, keygate.APIKeyCreate{Credits: &keygate.CreditsSet{Remaining: 10}})
	for i := range 8 {
		require.NoError(t, b.authFrom(token, ""), "request %d", i+1)
	}
	require.Eventually(t, func() bool { return b.remaining(t, k.ID) == 2 }, 10*time.Second, 5*time.Millisecond,
		"the spend is charged in a batch, without a write per request")
	require.Equal(t, []int{80}, b.thresholdEvents(t, k.ID), "80%% used at the eighth request")
	require.NoError(t, b.authFrom(token, ""))
	require.NoError(t, b.authFrom(token, ""))
	require.Equal(t, auth.ErrNoCredits, b.authFrom(token, ""), "the eleventh request of ten credits")
	require.Eventually(t, func() bool { return len(b.thresholdEvents(t, k.ID)) == 2 }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, []int{80, 100}, b.thresholdEvents(t, k.ID))
	require.Equal(t, int64(0), b.remaining(t, k.ID))
	require.Equal(t, auth.ErrNoCredits, b.authFrom(token, ""))

	// Credits set anew are in force once the change is followed, and the
	// thresholds are announced again.
	_, err := b.svc.UpdateAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID, keygate.APIKeyUpdate{Credits: ptr(&keygate.CreditsSet{Remaining: 5})})
	require.NoError(t, err)
	b.caughtUp(t)
	for range 5 {
		require.NoError(t, b.authFrom(token, ""))
	}
	require.Equal(t, auth.ErrNoCredits, b.authFrom(token, ""))
	require.Eventually(t, func() bool { return len(b.thresholdEvents(t, k.ID)) == 4 }, 10*time.Second, 5*time.Millisecond)

	// Credits removed: unlimited again.
	_, err = b.svc.UpdateAPIKey(b.ctx, app.AccountScope(b.acc.ID), k.ID, keygate.APIKeyUpdate{Credits: ptr[*keygate.CreditsSet](nil)})
	require.NoError(t, err)
	b.caughtUp(t)
	for range 20 {
		require.NoError(t, b.authFrom(token, ""))
	}
}

func TestCreditsRefill(t *testing.T) {
	t.Parallel()
	b := setup(t)
	setClock(b.clock, b.clock.Now().Truncate(24*time.Hour).Add(47*time.Hour))
	k, token := b.controlledKey(t, keygate.APIKeyCreate{Credits: &keygate.CreditsSet{Remaining: 2, Refill: &keygate.CreditRefill{Amount: 3, Interval: keygate.RefillDaily}}})
	require.NoError(t, b.authFrom(token, ""))
	require.NoError(t, b.authFrom(token, ""))
	require.Equal(t, auth.ErrNoCredits, b.authFrom(token, ""))
	// (Uses not yet charged at a refill are charged to the new balance.)
	require.Eventually(t, func() bool { return b.remaining(t, k.ID) == 0 }, 10*time.Second, 5*time.Millisecond)
	b.clock.Add(time.Hour) // midnight: the balance is set to 3
	require.Eventually(t, func() bool { return b.authFrom(token, "") == nil }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, b.authFrom(token, ""))
	require.NoError(t, b.authFrom(token, ""))
	require.Equal(t, auth.ErrNoCredits, b.authFrom(token, ""))
	require.Eventually(t, func() bool { return b.remaining(t, k.ID) == 0 }, 10*time.Second, 5*time.Millisecond)
}

func ptr[T any](v T) *T { return &v }

// setClock moves c forward to t.
func setClock(c *storetest.Clock, t time.Time) { c.Add(t.Sub(c.Now())) }
