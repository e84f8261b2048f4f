package auth_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// BenchmarkAuthenticateHitAllowlist is BenchmarkAuthenticateHit for a key
// with an IP allowlist of 10 entries, the client in the last (the most
// comparisons), beside the same hit for a key without a list, in one run:
// the list must add at most 50 ns (docs/performance.md).
func BenchmarkAuthenticateHitAllowlist(b *testing.B) {
	bb := setupRealClock(b)
	ips := make([]string, 10)
	for i := range ips {
		ips[i] = fmt.Sprintf("10.%d.0.0/16", i)
	}
	_, listed, err := bb.svc.CreateAPIKey(bb.ctx, app.AccountScope(bb.acc.ID), bb.acc.ID, keygate.APIKeyCreate{
		Name: "listed", Permissions: []keygate.Permission{"customer.write"}, AllowedIPs: ips})
	if err != nil {
		b.Fatal(err)
	}
	_, plain := bb.key(b, "customer.write")
	perm := keygate.PermissionBit("customer.read")
	ip := netip.MustParseAddr("10.9.1.2")
	for name, token := range map[string]string{"NoList": plain, "TenEntries": listed} {
		header := "Bearer " + token
		if _, err := bb.v.AuthenticateFrom(bb.ctx, keygate.Live, header, perm, ip); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bb.v.AuthenticateFrom(bb.ctx, keygate.Live, header, perm, ip); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(floorRatio(func() { bb.v.AuthenticateFrom(bb.ctx, keygate.Live, header, perm, ip) }), "x-floor")
		})
	}
}
