package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/internal/testgithub"
	"github.com/keygate/keygate/internal/testsmtp"
	"github.com/keygate/keygate/storetest"
)

// postGitHub posts a report to base's GitHub endpoint, signed by gh unless
// tamper is set (then the signature is of another body).
func postGitHub(t *testing.T, base string, gh *testgithub.Keys, body string, tamper bool) (int, string) {
	t.Helper()
	id, sig := gh.Sign([]byte(body))
	if tamper {
		id, sig = gh.Sign([]byte(body + " "))
	}
	req, err := http.NewRequest("POST", base+"/secret-scanning/github", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Github-Public-Key-Identifier", id)
	req.Header.Set("Github-Public-Key-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestGitHubScanningEndToEnd is the black-box check of issue 12, on real
// processes: KEYGATE_GITHUB_SCANNING_KEYS_FILE names a key pair made for
// the test; a badly signed report changes nothing; a signed report of an
// active key answers true_positive, the key is refused at once on every
// node (two nodes on PostgreSQL) and can't be reactivated, and /events
// shows api_key_exposure.created then api_key.revoked; a random token is
// false_positive.
func TestGitHubScanningEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	gh := testgithub.Start(t)
	keysFile := filepath.Join(t.TempDir(), "github-keys.json")
	require.NoError(t, os.WriteFile(keysFile, gh.JSON(), 0o600))
	engines := map[string]map[string]string{"sqlite": {"KEYGATE_DATA_DIR": t.TempDir()}}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		u, _ := storetest.PostgresSchema(t)
		engines["postgres"] = map[string]string{"KEYGATE_DATABASE_URL": u}
	}
	for name, store := range engines {
		t.Run(name, func(t *testing.T) {
			env := serveEnv(t.TempDir())
			for k, v := range store {
				env[k] = v
			}
			env["KEYGATE_GITHUB_SCANNING_KEYS_FILE"] = keysFile
			env["KEYGATE_GITHUB_SCANNING_KEYS_URL"] = "http://127.0.0.1:1/unused"
			mail := testsmtp.Start(t)
			env["KEYGATE_SMTP_URL"] = "smtp://" + mail.Addr
			_, urls := startServe(t, env)
			nodes := []string{urls["live API"]}
			if name == "postgres" {
				env2 := serveEnv(t.TempDir())
				for k, v := range env {
					if !strings.HasSuffix(k, "_ADDR") && k != "KEYGATE_DATA_DIR" {
						env2[k] = v
					}
				}
				_, urls2 := startServe(t, env2)
				nodes = append(nodes, urls2["live API"])
			}
			c := &cli{t: t, env: store}
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Acme"))
			_, errOut, err := c.run("a long password\n", "users", "create", "--account", acc, "--email", "owner@example.com", "--password-stdin")
			require.NoError(t, err, errOut)
			token := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "leaked", "--permissions", "notification.read"))
			var keys []struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(c.must("api-keys", "list", "--account", acc, "--json")), &keys))
			reader := strings.TrimSpace(c.must("api-keys", "create", "--account", acc, "--name", "reader", "--permissions", "notification.read"))
			for _, n := range nodes {
				status, _ := call(t, n, "/event-types", token)
				require.Equal(t, 200, status)
			}
			random := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
			body := `[{"token":"` + token + `","type":"keygate_live_api_key","url":"https://github.com/o/r/blob/1/.env","source":"content"},` +
				`{"token":"` + random + `","type":"keygate_live_api_key","url":"https://github.com/o/r/blob/1/.env","source":"content"}]`

			status, raw := postGitHub(t, nodes[0], gh, body, true)
			require.Equal(t, 401, status, raw)
			for _, n := range nodes {
				status, _ := call(t, n, "/event-types", token)
				require.Equal(t, 200, status, "a badly signed report changes nothing")
			}

			status, raw = postGitHub(t, nodes[0], gh, body, false)
			require.Equal(t, 200, status, raw)
			var fb []struct{ Label string }
			require.NoError(t, json.Unmarshal([]byte(raw), &fb))
			require.Equal(t, "true_positive", fb[0].Label)
			require.Equal(t, "false_positive", fb[1].Label)
			for _, n := range nodes {
				require.Eventually(t, func() bool {
					_, code := call(t, n, "/event-types", token)
					return code == "invalid_token"
				}, 5*time.Second, 10*time.Millisecond, "the exposed key is refused on every node")
			}
			_, errOut, err = c.run("", "api-keys", "reactivate", keys[0].ID)
			require.Error(t, err)
			require.Contains(t, err.Error()+errOut, "revoked by keygate after an exposure")

			events := apiCall(t, "GET", nodes[0]+"/events", reader, "")
			var types []string
			for _, e := range events["data"].([]any) {
				types = append(types, e.(map[string]any)["event_type"].(string))
			}
			require.Equal(t, []string{"api_key.created", "api_key.created", "api_key_exposure.created", "api_key.revoked"}, types)

			// The account's user is e-mailed, though it has no destination;
			// once, whichever node sends it.
			require.Eventually(t, func() bool { return len(mail.Messages()) >= 1 }, 15*time.Second, 50*time.Millisecond, "the user gets an e-mail")
			time.Sleep(3 * time.Second) // time for a second e-mail to show, were one sent
			msgs := mail.Messages()
			require.Len(t, msgs, 1)
			require.Equal(t, []string{"owner@example.com"}, msgs[0].To)
			require.Contains(t, msgs[0].Data, "API key exposed and revoked: "+keys[0].ID)
		})
	}
}
