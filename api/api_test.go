package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// bundle is a live and a sandbox API over one SQLite store, served on
// loopback.
type bundle struct {
	ctx     context.Context
	svc     *app.Service
	clock   *storetest.Clock
	live    *httptest.Server
	sandbox *httptest.Server
	liveAcc *keygate.Account
	sdbxAcc *keygate.Account
}

// setup starts both surfaces; tune adjusts their configuration.
func setup(t *testing.T, tune func(*api.Config)) *bundle {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	return setupOn(t, db, tune)
}

// setupOn is setup over a store of the caller's (closed at the end).
func setupOn(t *testing.T, db keygate.Store, tune func(*api.Config)) *bundle {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Microsecond))
	var svc *app.Service
	v := auth.New(auth.Config{Store: db, Now: clock.Now, CompleteRotation: func(ctx context.Context, keyID, rotationID string) error {
		_, err := svc.CompleteRotation(ctx, keyID, rotationID)
		return err
	}, SpendCredits: func(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error) {
		return svc.SpendCredits(ctx, spends)
	}, ShareInterval: 10 * time.Millisecond})
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	svc = &app.Service{Store: db, Now: clock.Now, Changed: v.Invalidate, Sealer: sealer}
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Run(ctx)
	}()
	require.Eventually(t, v.Started, 30*time.Second, time.Millisecond, "the verifier follows the change feed (else /readyz answers 503)")
	b := &bundle{ctx: ctx, svc: svc, clock: clock}
	metrics := api.NewMetrics()
	serve := func(env keygate.Environment) *httptest.Server {
		var srv *api.Server
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { srv.ServeHTTP(w, r) }))
		cfg := api.Config{Environment: env, BaseURL: ts.URL, Now: clock.Now}
		if tune != nil {
			tune(&cfg)
		}
		srv = api.NewServer(cfg, svc, v, metrics)
		return ts
	}
	b.live, b.sandbox = serve(keygate.Live), serve(keygate.Sandbox)
	t.Cleanup(func() {
		b.live.Close()
		b.sandbox.Close()
		cancel()
		<-done
		db.Close()
	})
	b.liveAcc, err = svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	b.sdbxAcc, err = svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Acme"})
	require.NoError(t, err)
	return b
}

// key creates a key in acc and returns it with its full token.
func (b *bundle) key(t *testing.T, acc *keygate.Account, ps ...keygate.Permission) (*keygate.APIKey, string) {
	t.Helper()
	k, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(acc.ID), acc.ID, keygate.APIKeyCreate{Name: "key", Permissions: ps})
	require.NoError(t, err)
	return k, token
}

// response is an answer of the API.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// errorCode returns error.code of an error answer.
func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// data returns the data member of a success answer.
func (r response) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

// list returns the data member of a list answer.
func (r response) list() []any {
	d, _ := r.body["data"].([]any)
	return d
}

// do sends a request; token, if not empty, is sent as a Bearer token; body,
// if not empty, as application/json.
func do(t *testing.T, srv *httptest.Server, method, path, token, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &r.body), string(raw))
	}
	return r
}
