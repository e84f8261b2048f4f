package dashboard_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/dashboard"
	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/wire"
)

// faultyStore fails every transaction while broken is set: a database
// that went away.
type faultyStore struct {
	keygate.Store
	broken atomic.Bool
}

var errDisk = errors.New("disk I/O error at /var/lib/keygate/secret-path")

func (f *faultyStore) View(ctx context.Context, fn func(keygate.Tx) error) error {
	if f.broken.Load() {
		return errDisk
	}
	return f.Store.View(ctx, fn)
}

func (f *faultyStore) Update(ctx context.Context, fn func(keygate.Tx) error) error {
	if f.broken.Load() {
		return errDisk
	}
	return f.Store.Update(ctx, fn)
}

// syncWriter is a log that tests read while the server writes it.
type syncWriter struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.String()
}

// TestInternalErrors: an internal error is logged with the request ID, and
// shown as a generic page with status 500 that quotes the ID and nothing of
// the cause.
func TestInternalErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer db.Close()
	store := &faultyStore{Store: db}
	sealer, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	logs := &syncWriter{mu: make(chan struct{}, 1)}
	d := dashboard.NewServer(dashboard.Config{Environment: keygate.Sandbox, Logger: slog.New(slog.NewTextHandler(logs, nil))},
		&app.Service{Store: store, Now: time.Now, Sealer: sealer})
	b := &bundle{ctx: ctx, dash: d}
	b.srv = httptest.NewServer(d)
	t.Cleanup(b.srv.Close)
	br := b.signedIn(t)

	store.broken.Store(true)
	for _, path := range []string{"/authentication/api-keys/apikey_01h0000000000000000000000", "/events", "/notifications"} {
		resp, body := br.get(path)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode, path)
		id := resp.Header.Get(wire.RequestIDHeader)
		require.NotEmpty(t, id)
		require.Contains(t, body, "Something went wrong")
		require.Contains(t, body, id, "the page quotes the request ID")
		require.NotContains(t, body, "secret-path", "the cause is never shown")
		require.Contains(t, logs.String(), "request_id="+id, "the error is logged with the request ID")
		require.Contains(t, logs.String(), "secret-path")
	}
}

// TestErrorCodes: each code has its status, through the one error path.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	resp, body := br.get("/authentication/api-keys/apikey_01h0000000000000000000000")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "a foreign or unknown key")
	require.Contains(t, body, "Back to API keys")
	resp, _ = br.get("/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	_, body = br.get("/authentication/api-keys/new")
	resp, body = br.post("/authentication/api-keys", url.Values{"csrf": {csrf(t, body)}, "name": {""}, "permissions": {"price.read"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `id="name-error"`, "the name's problem is next to the name")

	anon := b.browser(t)
	resp, body = anon.get("/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, `href="/sign-in"`, "someone signed out is offered to sign in")
}
