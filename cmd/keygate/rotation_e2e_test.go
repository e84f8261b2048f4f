package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	paddle "github.com/PaddleHQ/paddle-go-sdk/v4"
	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/storetest"
)

// post sends a JSON POST with a Bearer token and returns the status and the
// decoded body.
func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

// errorCode returns error.code of an answer.
func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// TestAWSSecretsManagerRotation runs the flow of AWS Secrets Manager's
// Paddle rotation against two keygate processes on one database, over real
// HTTP: the key rotates itself on one node (createSecret), the new key is
// validated with a non-mutating call through Paddle's Go SDK on the other
// (testSecret, which completes the rotation), used, and the old key stops
// on both nodes after the 2-second grace. The CLI then rotates for the
// operator.
func TestAWSSecretsManagerRotation(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	engines := map[string]map[string]string{"sqlite": {"KEYGATE_DATA_DIR": t.TempDir()}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		engines["postgres"] = map[string]string{"KEYGATE_DATABASE_URL": u}
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			c := &cli{t: t, env: store}
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			oldKey := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "aws", "--permissions", "customer.read", "--rotatable"))
			plainKey := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "plain", "--permissions", "customer.read"))
			adminKey := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "all"))
			id := "apikey_" + strings.Split(oldKey, "_")[3]
			plainID := "apikey_" + strings.Split(plainKey, "_")[3]

			var nodes [2]map[string]string
			for i := range nodes {
				env := serveEnv(t.TempDir())
				if dir := store["KEYGATE_DATA_DIR"]; dir != "" {
					env["KEYGATE_DATA_DIR"] = dir // one SQLite database, and its sealing key
				}
				for k, v := range store {
					env[k] = v
				}
				_, nodes[i] = startServe(t, env)
			}
			a, b := nodes[0]["live API"], nodes[1]["live API"]

			status, body := post(t, a+"/api-keys/"+plainID+"/rotations", plainKey, `{"grace_period_seconds":2}`)
			require.Equal(t, 400, status)
			require.Equal(t, "api_key_cannot_be_rotated", errorCode(body))
			status, body = post(t, a+"/api-keys/"+id+"/rotations", adminKey, `{"grace_period_seconds":2}`)
			require.Equal(t, 403, status)
			require.Equal(t, "forbidden", errorCode(body))

			// createSecret: the key rotates itself; AWS keeps new_key as AWSPENDING.
			status, body = post(t, a+"/api-keys/"+id+"/rotations", oldKey, `{"grace_period_seconds":2}`)
			require.Equal(t, 201, status, body)
			rot := body["data"].(map[string]any)
			require.Equal(t, "pending", rot["status"])
			newKey := rot["new_key"].(string)

			// testSecret: a non-mutating call with the new key, through
			// Paddle's SDK, on the other node; it completes the rotation.
			var sdk *paddle.SDK
			require.Eventually(t, func() bool {
				var err error
				sdk, err = paddle.New(newKey, paddle.WithBaseURL(b))
				require.NoError(t, err)
				_, err = sdk.ListEventTypes(context.Background(), &paddle.ListEventTypesRequest{})
				return err == nil
			}, 5*time.Second, 20*time.Millisecond, "the new key must work on the other node within the propagation bound")
			usedAt := time.Now()

			// finishSecret: AWSCURRENT is the new key; both keys work during the grace.
			st, _ := call(t, a, "/event-types", newKey)
			require.Equal(t, 200, st)
			var rotations struct {
				Data []struct{ Status, ExpiresAt string } `json:"data"`
			}
			req, _ := http.NewRequest("GET", a+"/api-keys/"+id+"/rotations", nil)
			req.Header.Set("Authorization", "Bearer "+newKey)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&rotations))
			resp.Body.Close()
			require.Len(t, rotations.Data, 1)
			require.Equal(t, "completed", rotations.Data[0].Status)
			if time.Since(usedAt) < time.Second {
				for _, base := range []string{a, b} {
					st, _ := call(t, base, "/event-types", oldKey)
					require.Equal(t, 200, st, "the old key works during the grace")
				}
			}
			for _, base := range []string{a, b} {
				require.Eventually(t, func() bool {
					_, code := call(t, base, "/event-types", oldKey)
					return code == "invalid_token"
				}, 10*time.Second, 50*time.Millisecond, "the old key must stop after the grace on every node")
				st, _ := call(t, base, "/event-types", newKey)
				require.Equal(t, 200, st)
			}
			require.GreaterOrEqual(t, time.Since(usedAt), time.Second, "not long before the grace ended")

			// The operator rotates for the customer with the CLI.
			var cliRot struct {
				ID, NewKey, Status string
				Grace              int `json:"grace_period_seconds"`
			}
			out := c.must("api-keys", "rotate", id, "--grace", "5m", "--json")
			require.NoError(t, json.Unmarshal([]byte(out), &cliRot))
			require.Equal(t, "pending", cliRot.Status)
			require.Equal(t, 300, cliRot.Grace)
			var withNewKey struct {
				NewKey string `json:"new_key"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &withNewKey))
			require.Eventually(t, func() bool {
				st, _ := call(t, a, "/event-types", withNewKey.NewKey)
				return st == 200
			}, 5*time.Second, 20*time.Millisecond)
			st, _ = call(t, b, "/event-types", newKey)
			require.Equal(t, 200, st, "the previous key lives for the 5-minute grace")
		})
	}
}

// TestAPIKeysRotateCLI checks the CLI's rotate: the key alone on stdout,
// the flags' rules, and the domain's refusals.
func TestAPIKeysRotateCLI(t *testing.T) {
	t.Parallel()
	c := engines(t)["sqlite"]
	acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "sandbox", "--name", "Acme"))
	c.must("api-keys", "create", "--account", acc, "--name", "aws", "--permissions", "customer.read", "--rotatable")
	c.must("api-keys", "create", "--account", acc, "--name", "plain", "--permissions", "customer.read")
	var keys []struct{ ID, Name string }
	require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
	ids := map[string]string{}
	for _, k := range keys {
		ids[k.Name] = k.ID
	}
	out, errOut, err := c.run("", "api-keys", "rotate", ids["aws"], "--grace", "0s")
	require.NoError(t, err)
	require.Regexp(t, `^pdl_sdbx_apikey_`+ids["aws"][len("apikey_"):]+`_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}\n$`, out)
	require.Contains(t, errOut, "shown once")

	for _, args := range [][]string{
		{"api-keys", "rotate", ids["aws"]},
		{"api-keys", "rotate", ids["aws"], "--grace", "1.5s"},
		{"api-keys", "rotate", ids["aws"], "--grace", "5m", "--new-expires-at", "tomorrow"},
		{"api-keys", "rotate", "--grace", "5m"},
	} {
		_, _, err := c.run("", args...)
		require.Error(t, err, args)
	}
	_, _, err = c.run("", "api-keys", "rotate", ids["plain"], "--grace", "5m")
	require.ErrorContains(t, err, "doesn't support rotation")
	_, _, err = c.run("", "api-keys", "rotate", ids["aws"], "--grace", "25h")
	require.ErrorContains(t, err, "grace_period_seconds")
	_, _, err = c.run("", "api-keys", "rotate", ids["aws"], "--grace", "5m", "--new-expires-at", "2099-01-01T00:00:00Z")
	require.ErrorContains(t, err, "new_key_expires_at")
}
