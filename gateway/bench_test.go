package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/gateway"
)

// BenchmarkGatewayHandler is the gateway's work for one request with a
// valid key, in process, against a recorder: everything but the network.
// BenchmarkBareProxyHandler is the same for a bare reverse proxy; the
// difference is keygate's cost per request.
func BenchmarkGatewayHandler(b *testing.B) {
	bb := setupBench(b)
	_, token := bb.key(nil, "product.read")
	time.Sleep(300 * time.Millisecond) // let the change feed deliver the key's creation
	target := trivialUpstream(b)
	gw := gateway.New(gateway.Config{Environment: keygate.Live, Upstream: target, Routes: gateway.DefaultRoutes(), Verifier: bb.verifier})
	h := api.NewServer(api.Config{Environment: keygate.Live, Gateway: gw}, bb.svc, bb.verifier, nil)
	runHandler(b, h, token)
}

func BenchmarkBareProxyHandler(b *testing.B) {
	target := trivialUpstream(b)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 1024
	h := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() }, Transport: transport}
	runHandler(b, h, "")
}

func runHandler(b *testing.B, h http.Handler, token string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/products", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

// trivialUpstream answers every request with a small constant body, as
// bench/upstream does, so that the benchmarks measure the proxies.
func trivialUpstream(b *testing.B) *url.URL {
	body := []byte(`{"data":[{"id":"pro_01h","name":"Widget"}]}` + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

// BenchmarkGatewayAlone is BenchmarkGatewayHandler without the API server in
// front (no request log, metrics or rate limit).
func BenchmarkGatewayAlone(b *testing.B) {
	bb := setupBench(b)
	_, token := bb.key(nil, "product.read")
	time.Sleep(300 * time.Millisecond)
	gw := gateway.New(gateway.Config{Environment: keygate.Live, Upstream: trivialUpstream(b), Routes: gateway.DefaultRoutes(), Verifier: bb.verifier})
	runHandler(b, gw, token)
}

// BenchmarkBareProxyPooledHandler is BenchmarkBareProxyHandler with the
// gateway's buffer pool: the fairest floor for the gateway.
func BenchmarkBareProxyPooledHandler(b *testing.B) {
	target := trivialUpstream(b)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 1024
	h := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() }, Transport: transport,
		BufferPool: gateway.NewBufferPool()}
	runHandler(b, h, "")
}
