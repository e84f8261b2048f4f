package api_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/internal/testlog"
)

// TestRequestLog checks that each request is logged with its request ID and
// that no token is ever logged.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	b := setup(t, func(c *api.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	_, token := b.key(t, b.liveAcc, "customer.read")
	ok := do(t, b.live, "GET", "/event-types", token, "")
	refused := do(t, b.live, "GET", "/api-keys", token, "")
	require.Equal(t, "forbidden", refused.errorCode())

	out := logs.String()
	require.Contains(t, out, "request_id="+ok.header.Get(api.RequestIDHeader))
	require.Contains(t, out, "request_id="+refused.header.Get(api.RequestIDHeader))
	require.Contains(t, out, "path=/api-keys status=403")
	require.NotContains(t, out, token)
	require.NotContains(t, out, token[len(token)-26:], "not even the secret")
}

// TestRequestLogFields checks that a request's log line carries the
// environment, client IP, credential ID (never the secret), error code and
// duration.
func TestRequestLogFields(t *testing.T) {
	t.Parallel()
	var logs testlog.Buffer
	b := setup(t, func(c *api.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	k, token := b.key(t, b.liveAcc, "customer.read")
	do(t, b.live, "GET", "/event-types", token, "")
	do(t, b.live, "GET", "/api-keys", token, "")
	out := logs.String()
	require.Contains(t, out, "environment=live")
	require.Contains(t, out, "client_ip=127.0.0.1")
	require.Contains(t, out, "credential_id="+k.ID)
	require.Contains(t, out, "error_code=forbidden")
	require.Contains(t, out, "duration=")
	require.NotContains(t, out, token)
}
