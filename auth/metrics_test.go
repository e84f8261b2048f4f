package auth_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
)

// TestMetrics checks the counts of results and cache lookups, hot path
// included (a hit that is ok counts as both with one counter): a miss,
// ok hits of a standard and an imported key, a forbidden hit, a wrong
// check on a cached key, a missing header, and an unknown key.
func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, token := b.key(t, "customer.read")
	legacy, _ := b.importKeys(t)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b.v.Metrics.Collectors()...)

	for range 3 {
		_, err := b.auth("Bearer "+token, "customer.read") // a miss, then hits
		require.NoError(t, err)
	}
	for range 2 {
		_, err := b.auth("Bearer "+legacy, "customer.read") // a miss, then a hit
		require.NoError(t, err)
	}
	_, err := b.auth("Bearer "+token, "customer.write")
	require.Error(t, err)
	_, err = b.auth("Bearer "+token[:len(token)-1]+flip(token[len(token)-1]), "")
	require.Error(t, err)
	_, err = b.v.Authenticate(b.ctx, keygate.Live, "", 0)
	require.Error(t, err)

	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if m.GetCounter() != nil && len(m.GetLabel()) == 1 {
				got[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	require.Equal(t, map[string]float64{
		"keygate_auth_results_total/ok": 5, "keygate_auth_results_total/limited": 0, "keygate_auth_results_total/forbidden": 1, "keygate_auth_results_total/invalid_token": 1,
		"keygate_auth_results_total/authentication_missing": 1, "keygate_auth_results_total/authentication_malformed": 0,
		"keygate_auth_results_total/error":     0,
		"keygate_auth_cache_lookups_total/hit": 5, "keygate_auth_cache_lookups_total/miss": 2, "keygate_auth_cache_lookups_total/negative_hit": 0,
	}, got)
}
