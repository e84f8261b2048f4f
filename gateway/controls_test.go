package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/gateway"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/storetest"
)

// from returns a client whose connections come from the loopback address
// src.
func from(t *testing.T, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func TestGatewayAllowedIPs(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	_, token, err := b.svc.CreateAPIKey(b.ctx, app.AccountScope(b.acc.ID), b.acc.ID, keygate.APIKeyCreate{
		Name: "k", Permissions: []keygate.Permission{"customer.read"}, AllowedIPs: []string{"127.0.0.2/32"}})
	require.NoError(t, err)
	get := func(src string) int {
		req, err := http.NewRequest("GET", b.gw.URL+"/customers", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := from(t, src).Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, get("127.0.0.1"))
	require.Equal(t, http.StatusOK, get("127.0.0.2"))
}

// verifyBundle is a verify endpoint over its own store, on a controlled
// clock.
type verifyBundle struct {
	svc   *app.Service
	acc   *keygate.Account
	clock *storetest.Clock
	srv   *httptest.Server
}

func setupVerify(t testing.TB) *verifyBundle {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Hour).Add(time.Hour + time.Minute))
	svc := &app.Service{Store: db, Now: clock.Now}
	v := auth.New(auth.Config{Store: db, Now: clock.Now, SpendCredits: svc.SpendCredits, ShareInterval: 10 * time.Millisecond})
	svc.Changed = v.Invalidate
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()
	srv := httptest.NewServer(gateway.VerifyHandler(v, ""))
	t.Cleanup(func() { srv.Close(); cancel(); <-done; db.Close() })
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	require.NoError(t, err)
	return &verifyBundle{svc: svc, acc: acc, clock: clock, srv: srv}
}

func (b *verifyBundle) key(t testing.TB, in keygate.APIKeyCreate) string {
	in.Name, in.Permissions = "k", []keygate.Permission{"customer.read"}
	_, token, err := b.svc.CreateAPIKey(context.Background(), app.AccountScope(b.acc.ID), b.acc.ID, in)
	require.NoError(t, err)
	return token
}

func (b *verifyBundle) verify(t *testing.T, token, extra string) (int, gateway.VerifyResponse) {
	resp, err := http.Post(b.srv.URL+"/verify", "application/json", strings.NewReader(fmt.Sprintf(`{"token":%q,"environment":"live"%s}`, token, extra)))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out gateway.VerifyResponse
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestVerifyControls(t *testing.T) {
	t.Parallel()
	b := setupVerify(t)
	restricted := b.key(t, keygate.APIKeyCreate{AllowedIPs: []string{"127.0.0.2/32"}})
	_, res := b.verify(t, restricted, `,"ip":"127.0.0.2"`)
	require.Equal(t, gateway.VerifyValid, res.Code)
	_, res = b.verify(t, restricted, `,"ip":"127.0.0.1"`)
	require.Equal(t, gateway.VerifyResponse{Code: gateway.VerifyIPNotAllowed}, res, "no principal for a refused address")
	_, res = b.verify(t, restricted, ``)
	require.Equal(t, gateway.VerifyIPNotAllowed, res.Code, "a request without the caller's IP is refused for a restricted key")
	status, _ := b.verify(t, restricted, `,"ip":"127.0.0.300"`)
	require.Equal(t, http.StatusBadRequest, status)
	_, res = b.verify(t, b.key(t, keygate.APIKeyCreate{}), ``)
	require.Equal(t, gateway.VerifyValid, res.Code, "the first version of the request still works")

	limited := b.key(t, keygate.APIKeyCreate{RateLimit: &keygate.RateLimit{Requests: 5, Per: keygate.PerHour}})
	for range 5 {
		_, res = b.verify(t, limited, `,"ip":"10.0.0.1"`)
		require.Equal(t, gateway.VerifyValid, res.Code)
	}
	_, res = b.verify(t, limited, `,"ip":"10.0.0.1"`)
	require.Equal(t, gateway.VerifyResponse{Code: gateway.VerifyRateLimited, RetryAfter: 59 * 60}, res)

	metered := b.key(t, keygate.APIKeyCreate{Credits: &keygate.CreditsSet{Remaining: 2}})
	_, res = b.verify(t, metered, `,"permission":"price.read"`)
	require.Equal(t, gateway.VerifyForbidden, res.Code, "a refusal spends no credit")
	require.NotNil(t, res.Principal)
	for range 2 {
		_, res = b.verify(t, metered, ``)
		require.Equal(t, gateway.VerifyValid, res.Code)
	}
	_, res = b.verify(t, metered, ``)
	require.Equal(t, gateway.VerifyResponse{Code: gateway.VerifyUsageExceeded}, res)
}
