package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testlog"
	"github.com/stretchr/testify/require"
)

var listeningPattern = regexp.MustCompile(`keygate: (.+) listening on (http://\S+)`)

// serveEnv returns an environment that serves every surface on a free
// loopback port.
func serveEnv(dataDir string) map[string]string {
	return map[string]string{
		"KEYGATE_DATA_DIR":               dataDir,
		"KEYGATE_LIVE_API_ADDR":          "127.0.0.1:0",
		"KEYGATE_SANDBOX_API_ADDR":       "127.0.0.1:0",
		"KEYGATE_LIVE_DASHBOARD_ADDR":    "127.0.0.1:0",
		"KEYGATE_SANDBOX_DASHBOARD_ADDR": "127.0.0.1:0",
		"KEYGATE_METRICS_ADDR":           "127.0.0.1:0",
	}
}

// waitListening polls output until every surface says where it listens,
// and returns their base URLs by name.
func waitListening(t *testing.T, output func() string) map[string]string {
	t.Helper()
	var urls map[string]string
	require.Eventually(t, func() bool {
		urls = map[string]string{}
		for _, m := range listeningPattern.FindAllStringSubmatch(output(), -1) {
			urls[m[1]] = m[2]
		}
		return len(urls) == 5
	}, 30*time.Second, 10*time.Millisecond, "surfaces did not start: %s", output())
	return urls
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	t.Parallel()
	env := serveEnv(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &stderr)
	}()

	urls := waitListening(t, stderr.String)
	for _, name := range []string{"live API", "sandbox API", "live dashboard", "sandbox dashboard"} {
		code, body := get(t, urls[name]+"/healthz")
		require.Equal(t, http.StatusOK, code, name)
		require.Equal(t, "ok\n", body)
		// Ready once the verifier follows the change feed, a few
		// milliseconds after the surfaces listen: polled, as a load
		// balancer does.
		require.Eventually(t, func() bool {
			code, _ := get(t, urls[name]+"/readyz")
			return code == http.StatusOK
		}, 10*time.Second, 10*time.Millisecond, name)
	}
	code, body := get(t, urls["metrics"]+"/healthz")
	require.Equal(t, http.StatusOK, code, "/healthz beside /metrics")
	require.Equal(t, "ok\n", body)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, stderr.String(), "keygate: stopped")
}

func TestServeAddressTaken(t *testing.T) {
	t.Parallel()
	busy := &http.Server{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go busy.Serve(l)
	defer busy.Close()

	env := serveEnv(t.TempDir())
	env["KEYGATE_SANDBOX_DASHBOARD_ADDR"] = l.Addr().String()
	c := &cli{t: t, env: env}
	_, errOut, err := c.run("", "serve")
	require.Error(t, err)
	require.Contains(t, errOut, "sandbox dashboard: listen tcp "+l.Addr().String())
}

// TestServeStopsOnSIGTERM runs keygate as a real process and stops it the
// way a service manager does.
func TestServeStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KEYGATE_TEST_AS_MAIN=1", "KEYGATE_TEST_ARGS=serve")
	for k, v := range serveEnv(t.TempDir()) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr testlog.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	urls := waitListening(t, stderr.String)
	code, _ := get(t, urls["live API"]+"/healthz")
	require.Equal(t, http.StatusOK, code)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "keygate exits 0 on SIGTERM; stderr: %s", stderr.String())
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("keygate did not stop on SIGTERM")
	}
	require.Contains(t, stderr.String(), "keygate: stopped")
}
