package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/internal/testlog"
	"github.com/keygate/keygate/storetest"
)

// startServe runs `keygate serve` as a separate process on env and returns
// it with the base URLs of its surfaces. It is stopped when t ends, and its
// output logged if t failed.
func startServe(t *testing.T, env map[string]string) (*exec.Cmd, map[string]string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KEYGATE_TEST_AS_MAIN=1", "KEYGATE_TEST_ARGS=serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr testlog.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("keygate serve's output:\n%s", stderr.String())
		}
	})
	return cmd, waitListening(t, stderr.String)
}

// call sends GET path with a Bearer token and returns the status and the
// error code, if any.
func call(t *testing.T, base, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error.Code
}

// TestTwoProcesses runs keygate serve as one process and changes keys with
// the CLI as another: every change is in force on the server within a
// second.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a process")
	}
	engines := map[string]map[string]string{"sqlite": {"KEYGATE_DATA_DIR": t.TempDir()}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		engines["postgres"] = map[string]string{"KEYGATE_DATABASE_URL": u}
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			env := serveEnv(t.TempDir()) // PostgreSQL keeps its sealing key there
			for k, v := range store {
				env[k] = v
			}
			_, urls := startServe(t, env)
			c := &cli{t: t, env: store}
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			out, _, err := c.run("", "api-keys", "create", "--account", acc, "--name", "k", "--permissions", "customer.read")
			require.NoError(t, err)
			token := strings.TrimSpace(out)
			var keys []struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
			require.Len(t, keys, 1)
			created := keys[0]

			status, _ := call(t, urls["live API"], "/event-types", token)
			require.Equal(t, 200, status)
			_, code := call(t, urls["sandbox API"], "/event-types", token)
			require.Equal(t, "invalid_token", code, "a live key on the sandbox API")
			_, code = call(t, urls["live API"], "/api-keys", token)
			require.Equal(t, "forbidden", code)

			c.must("api-keys", "revoke", created.ID)
			revokedAt := time.Now()
			require.Eventually(t, func() bool {
				_, code := call(t, urls["live API"], "/event-types", token)
				return code == "invalid_token"
			}, time.Second, 10*time.Millisecond, "a key revoked by the CLI must be refused within a second")
			t.Logf("refused %v after the CLI's revoke returned", time.Since(revokedAt).Round(time.Millisecond))

			c.must("api-keys", "reactivate", created.ID)
			require.Eventually(t, func() bool {
				status, _ := call(t, urls["live API"], "/event-types", token)
				return status == 200
			}, time.Second, 10*time.Millisecond, "a key reactivated by the CLI must work within a second")

			resp, err := http.Get(urls["metrics"] + "/metrics")
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			for _, want := range []string{
				`keygate_auth_results_total{result="ok"}`, `keygate_auth_results_total{result="invalid_token"}`,
				`keygate_auth_results_total{result="forbidden"}`, `keygate_auth_cache_lookups_total{outcome="hit"}`,
				`keygate_auth_cache_lookups_total{outcome="miss"}`,
				`keygate_http_request_duration_seconds_bucket{environment="live",route="GET /event-types",status="200"`,
			} {
				require.Contains(t, string(body), want)
			}
		})
	}
}
