package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/gateway"
	"github.com/keygate/keygate/sqlite"
)

// upstream is the operator's API: it answers with what it received.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) { time.Sleep(4 * time.Second) })
	mux.HandleFunc("POST /teapot", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Upstream", "yes")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "header": r.Header, "body": string(body)})
	})
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

type bundle struct {
	ctx      context.Context
	svc      *app.Service
	verifier *auth.Verifier
	acc      *keygate.Account
	up       *upstream
	gw       *httptest.Server
}

// setupBench is setup for benchmarks.
func setupBench(b *testing.B) *bundle { return setup(b, nil) }

// setup starts a gateway whose upstream timeout is long enough for a
// loaded machine: only TestGatewayUpstreamAnswers waits for a timeout.
func setup(t testing.TB, routes *gateway.RouteMap) *bundle {
	return setupTimeout(t, routes, 30*time.Second)
}

// setupTimeout is setup with the gateway's upstream timeout set to d.
func setupTimeout(t testing.TB, routes *gateway.RouteMap, d time.Duration) *bundle {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	v := auth.New(auth.Config{Store: db})
	svc := &app.Service{Store: db, Now: time.Now, Changed: v.Invalidate}
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	up := newUpstream(t)
	target, _ := url.Parse(up.URL)
	if routes == nil {
		routes = gateway.DefaultRoutes()
	}
	gw := gateway.New(gateway.Config{Environment: keygate.Live, Upstream: target, Routes: routes, Verifier: v, Timeout: d})
	srv := httptest.NewServer(api.NewServer(api.Config{Environment: keygate.Live, Gateway: gw}, svc, v, nil))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		db.Close()
	})
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	return &bundle{ctx: ctx, svc: svc, verifier: v, acc: acc, up: up, gw: srv}
}

func (b *bundle) key(t *testing.T, ps ...keygate.Permission) (*keygate.APIKey, string) {
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{Name: "k", Permissions: ps})
	if err != nil {
		panic(err)
	}
	return k, token
}

type answer struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func (b *bundle) send(t *testing.T, method, path, token string, header http.Header, body string) answer {
	req, err := http.NewRequest(method, b.gw.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	json.Unmarshal(raw, &a.json)
	return a
}

func (a answer) code() string {
	e, _ := a.json["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestGatewayPermissions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, reader := b.key(t, "product.read")
	_, writer := b.key(t, "product.write")
	_, other := b.key(t, "price.read")
	tests := []struct {
		method, path, token string
		status              int
		code                string
	}{
		{"GET", "/products", reader, 200, ""},
		{"GET", "/products/pro_01h", reader, 200, ""},
		{"POST", "/products", reader, 403, "forbidden"},
		{"POST", "/products", writer, 200, ""},
		{"GET", "/products", writer, 200, ""}, // write implies read
		{"GET", "/products", other, 403, "forbidden"},
		{"GET", "/ip-addresses", other, 200, ""}, // none: any valid key
		{"GET", "/products", "", 403, "authentication_missing"},
		{"GET", "/products", "pdl_live_apikey_nonsense", 403, "invalid_token"},
		{"POST", "/pricing-preview", credential.NewClientToken(credential.EnvLive), 403, "invalid_client_token"},
		{"GET", "/products", credential.NewClientToken(credential.EnvLive), 403, "invalid_token"},
		{"POST", "/pricing-preview", other, 403, "forbidden"}, // an API key needs transaction.read there
		{"DELETE", "/products", writer, 404, "invalid_url"},
		{"GET", "/secret-admin", writer, 404, "invalid_url"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			before := b.up.hits.Load()
			a := b.send(t, tt.method, tt.path, tt.token, nil, "")
			require.Equal(t, tt.status, a.status, a.body)
			require.Equal(t, tt.code, a.code())
			if tt.status == 200 {
				require.Equal(t, before+1, b.up.hits.Load())
				require.Equal(t, tt.path, a.json["path"])
			} else {
				require.Equal(t, before, b.up.hits.Load(), "a refused request never reaches the upstream")
			}
		})
	}
}

func TestGatewayIdentityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, token := b.key(t, "customer.write")
	forged := http.Header{"X-Keygate-Account-Id": {"acc_forged"}, "X-Keygate-Admin": {"true"}, "X-Custom": {"kept"}}
	a := b.send(t, "PATCH", "/customers/ctm_1?include=address", token, forged, `{"name":"Ada"}`)
	require.Equal(t, 200, a.status, a.body)
	require.Equal(t, "PATCH", a.json["method"])
	require.Equal(t, "include=address", a.json["query"])
	require.Equal(t, `{"name":"Ada"}`, a.json["body"])
	h := a.json["header"].(map[string]any)
	require.NotContains(t, h, "Authorization", "the credential never reaches the upstream")
	require.NotContains(t, h, "X-Keygate-Admin", "identity headers from the client are removed")
	require.Equal(t, []any{"kept"}, h["X-Custom"])
	require.Equal(t, []any{b.acc.ID}, h["X-Keygate-Account-Id"])
	require.Equal(t, []any{k.ID}, h["X-Keygate-Credential-Id"])
	require.Equal(t, []any{"api_key"}, h["X-Keygate-Credential-Kind"])
	require.Equal(t, []any{"live"}, h["X-Keygate-Environment"])
	require.Equal(t, []any{"customer.read,customer.write"}, h["X-Keygate-Permissions"])
	require.NotEmpty(t, h["X-Request-Id"])
	require.NotEmpty(t, h["X-Forwarded-For"])
}

func TestGatewayUpstreamAnswers(t *testing.T) {
	t.Parallel()
	routes, err := gateway.ParseRoutes(strings.NewReader("GET /slow none\nPOST /teapot none\nGET /down none\n"))
	require.NoError(t, err)
	b := setupTimeout(t, routes, time.Second) // /slow answers after 4 s
	_, token := b.key(t, "price.read")

	a := b.send(t, "POST", "/teapot", token, nil, "")
	require.Equal(t, http.StatusTeapot, a.status, "the upstream's own answers pass through")
	require.Equal(t, "short and stout", a.body)
	require.Equal(t, "yes", a.header.Get("X-Upstream"))

	a = b.send(t, "GET", "/slow", token, nil, "")
	require.Equal(t, http.StatusBadGateway, a.status)
	require.Equal(t, "bad_gateway", a.code())
	require.Equal(t, "api_error", a.json["error"].(map[string]any)["type"])

	b.up.Close()
	a = b.send(t, "GET", "/down", token, nil, "")
	require.Equal(t, http.StatusBadGateway, a.status)
	require.Equal(t, "bad_gateway", a.code())
}

// TestGatewayStreams checks that a large body goes through both ways
// without being held whole.
func TestGatewayStreams(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token := b.key(t, "report.write")
	big := strings.Repeat("0123456789", 400<<10) // 4 MiB
	a := b.send(t, "POST", "/reports", token, nil, big)
	require.Equal(t, 200, a.status)
	require.Len(t, a.json["body"], len(big))
}

func TestParseRoutes(t *testing.T) {
	t.Parallel()
	m, err := gateway.ParseRoutes(strings.NewReader("# comment\n\nGET /things/{id} product.read\nPOST /preview transaction.read client_token\nPOST /checkout client_token\nGET /open none\n"))
	require.NoError(t, err)
	require.Equal(t, 4, m.Len)
	match := func(method, path string) (auth.Rule, bool) {
		return m.Match(httptest.NewRequest(method, path, nil))
	}
	r, ok := match("GET", "/things/42")
	require.True(t, ok)
	require.Equal(t, auth.Rule{Permission: "product.read"}, r)
	r, _ = match("POST", "/preview")
	require.Equal(t, auth.Rule{Permission: "transaction.read", ClientTokens: true}, r)
	r, _ = match("POST", "/checkout")
	require.Equal(t, auth.Rule{ClientTokens: true}, r)
	_, ok = match("DELETE", "/things/42")
	require.False(t, ok)
	_, ok = match("GET", "/things/42/more")
	require.False(t, ok)

	for input, want := range map[string]string{
		"GET /x":                   "line 1: want METHOD PATTERN",
		"GET /x product.delete":    `line 1: "product.delete" is not a permission`,
		"get /x none":              "line 1: \"get\" \"/x\" is not an upper-case method",
		"GET /x none\nGET /x none": "line 2: GET /x is listed twice",
		"GET /x none sometimes":    `line 1: "sometimes": only client_token may follow`,
		"GET /x/{a}/{a} none":      "line 1: GET /x/{a}/{a}",
	} {
		_, err := gateway.ParseRoutes(strings.NewReader(input))
		require.ErrorContains(t, err, want, input)
	}
	require.Greater(t, gateway.DefaultRoutes().Len, 60)
}

func TestVerifyEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, token := b.key(t, "customer.write")
	srv := httptest.NewServer(gateway.VerifyHandler(b.verifier, ""))
	defer srv.Close()
	verify := func(body string) (int, gateway.VerifyResponse) {
		resp, err := http.Post(srv.URL+"/verify", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out gateway.VerifyResponse
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, res := verify(fmt.Sprintf(`{"token":%q,"environment":"live","permission":"customer.read"}`, token))
	require.Equal(t, 200, status)
	require.True(t, res.Valid)
	require.Equal(t, gateway.VerifyValid, res.Code)
	require.Equal(t, &gateway.VerifiedPrincipal{AccountID: b.acc.ID, CredentialID: k.ID, CredentialKind: "api_key", Environment: keygate.Live,
		Permissions: []keygate.Permission{"customer.read", "customer.write"}}, res.Principal)

	_, res = verify(fmt.Sprintf(`{"token":%q,"environment":"live","permission":"price.read"}`, token))
	require.Equal(t, gateway.VerifyForbidden, res.Code)
	require.False(t, res.Valid)
	require.Equal(t, k.ID, res.Principal.CredentialID)

	_, res = verify(fmt.Sprintf(`{"token":%q,"environment":"sandbox"}`, token))
	require.Equal(t, gateway.VerifyResponse{Valid: false, Code: gateway.VerifyInvalidToken}, res, "another environment is told nothing more than an unknown key")
	_, res = verify(fmt.Sprintf(`{"token":%q,"environment":"live"}`, credential.NewAPIKey("", credential.EnvLive, time.Now()).Token))
	require.Equal(t, gateway.VerifyResponse{Valid: false, Code: gateway.VerifyInvalidToken}, res)
	_, res = verify(`{"token":"","environment":"live"}`)
	require.Equal(t, gateway.VerifyMalformed, res.Code)

	status, _ = verify(`{"token":"x","environment":"staging"}`)
	require.Equal(t, 400, status)
	status, _ = verify(`nonsense`)
	require.Equal(t, 400, status)
}
