package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate"
)

// BenchmarkVerifyLimits is the verify endpoint's throughput over real HTTP
// on loopback (keep-alive, every core), for a key without controls and
// for one with an allowlist, a rate limit and credits it never reaches,
// in one run: with limits on it must stay within 10% (docs/performance.md).
func BenchmarkVerifyLimits(b *testing.B) {
	vb := setupVerify(b)
	plain := vb.key(b, keygate.APIKeyCreate{})
	limited := vb.key(b, keygate.APIKeyCreate{AllowedIPs: []string{"10.0.0.0/8"},
		RateLimit: &keygate.RateLimit{Requests: keygate.MaxRateLimit, Per: keygate.PerSecond},
		Credits:   &keygate.CreditsSet{Remaining: keygate.MaxCredits}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, c := range []struct{ name, token string }{{"Off", plain}, {"On", limited}, {"Off2", plain}, {"On2", limited}} {
		body := fmt.Sprintf(`{"token":%q,"environment":"live","permission":"customer.read","ip":"10.1.2.3"}`, c.token)
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(vb.srv.URL+"/verify", "application/json", strings.NewReader(body))
					if err != nil {
						b.Fatal(err)
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if !strings.Contains(string(out), `"valid":true`) {
						b.Fatal(string(out))
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
