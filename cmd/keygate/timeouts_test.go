package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// closedWithin reads conn until it is closed by the server, and fails if
// that takes longer than limit (a read deadline then fires instead).
func closedWithin(t *testing.T, conn net.Conn, limit time.Duration, what string) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(limit)))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: the connection was still open after %v", what, limit)
}

// TestServerTimeouts starts keygate with short timeouts and checks that
// every surface cuts a slow body and slow headers, and closes idle
// keep-alive connections.
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	env := serveEnv(t.TempDir())
	env["KEYGATE_READ_HEADER_TIMEOUT"] = "1s"
	env["KEYGATE_READ_TIMEOUT"] = "2s"
	env["KEYGATE_IDLE_TIMEOUT"] = "1s"
	env["KEYGATE_WRITE_TIMEOUT"] = "5s"
	_, urls := startServe(t, env)
	const limit = 20 * time.Second // generous: the machine may be loaded
	for name, base := range urls {
		addr := strings.TrimPrefix(base, "http://")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			slowBody := send(t, addr, "POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a")
			closedWithin(t, slowBody, limit, "slow body")

			slowHeaders := send(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
			closedWithin(t, slowHeaders, limit, "slow headers")

			idle := send(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
			require.NoError(t, err)
			resp.Body.Close()
			closedWithin(t, idle, limit, "idle keep-alive")
		})
	}
}

// TestServerLimitsValidated checks that bad timeouts are reported, each
// naming its variable.
func TestServerLimitsValidated(t *testing.T) {
	t.Parallel()
	env := serveEnv(t.TempDir())
	env["KEYGATE_READ_TIMEOUT"] = "soon"
	env["KEYGATE_IDLE_TIMEOUT"] = "-1s"
	env["KEYGATE_MAX_HEADER_BYTES"] = "12"
	c := &cli{t: t, env: env}
	_, errOut, err := c.run("", "serve")
	require.Error(t, err)
	for _, v := range []string{"KEYGATE_READ_TIMEOUT", "KEYGATE_IDLE_TIMEOUT", "KEYGATE_MAX_HEADER_BYTES"} {
		require.Contains(t, errOut, v)
	}
}

// send opens a connection to addr and writes raw to it; the connection is
// closed when t ends.
func send(t *testing.T, addr, raw string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	_, err = io.WriteString(c, raw)
	require.NoError(t, err)
	return c
}
