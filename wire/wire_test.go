package wire_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

func TestTime(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(wire.Time(time.Date(2026, 3, 5, 19, 21, 36, 0, time.FixedZone("CET", 3600))))
	require.NoError(t, err)
	require.Equal(t, `"2026-03-05T18:21:36.000000Z"`, string(b), "UTC, microseconds, as Paddle writes times")
	var back wire.Time
	require.NoError(t, json.Unmarshal([]byte(`"2026-03-05T19:21:36.711613073Z"`), &back))
	require.Equal(t, time.Date(2026, 3, 5, 19, 21, 36, 711613073, time.UTC), time.Time(back))
}

// TestAPIKeyShape checks the fields and their order against Paddle's
// api_key entity.
func TestAPIKeyShape(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 26, 6, 58, 38, 517522000, time.UTC)
	exp := t0.Add(92 * 24 * time.Hour)
	k := &keygate.APIKey{
		ID: "apikey_01jkdpbhazdpn3wpcya45as9tg", Environment: keygate.Live, Name: "CRM integration",
		Status: keygate.APIKeyActive, Permissions: []keygate.Permission{"customer.read"}, ExpiresAt: &exp,
		CreatedAt: t0, UpdatedAt: t0,
	}
	b, err := json.Marshal(wire.NewAPIKey(k, t0))
	require.NoError(t, err)
	require.Equal(t, `{"id":"apikey_01jkdpbhazdpn3wpcya45as9tg","name":"CRM integration","description":null,"status":"active",`+
		`"key":"pdl_live_apikey_01jkdpbhaz****","permissions":["customer.read"],"rotatable":false,"exposed_at":null,`+
		`"expires_at":"2025-06-26T06:58:38.517522Z","last_used_at":null,"created_at":"2025-03-26T06:58:38.517522Z",`+
		`"updated_at":"2025-03-26T06:58:38.517522Z"}`, string(b))

	b, err = json.Marshal(wire.NewAPIKey(k, exp))
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`"status":"expired"`), string(b), "the status is evaluated at the time shown")

	k.Legacy, k.Permissions = true, nil
	b, err = json.Marshal(wire.NewAPIKey(k, t0))
	require.NoError(t, err)
	require.Contains(t, string(b), `"key":"apikey_01jkdpbhaz****","permissions":null`)
}
