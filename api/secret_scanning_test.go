package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/internal/testgithub"
	"github.com/keygate/keygate/secretscan"
)

// report is one token of a GitHub report.
type report struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// feedback is GitHub's feedback on a token.
type feedback struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// postReport posts body to srv's GitHub endpoint with the given headers
// (id and sig, when not empty) and returns the status and raw answer.
func postReport(t *testing.T, srv *httptest.Server, body []byte, id, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/secret-scanning/github", strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if id != "" {
		req.Header.Set("Github-Public-Key-Identifier", id)
	}
	if sig != "" {
		req.Header.Set("Github-Public-Key-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// signed posts reports signed by gh.
func signed(t *testing.T, srv *httptest.Server, gh *testgithub.Keys, reports []report) (int, []feedback) {
	t.Helper()
	body, err := json.Marshal(reports)
	require.NoError(t, err)
	id, sig := gh.Sign(body)
	status, raw := postReport(t, srv, body, id, sig)
	var fb []feedback
	if status == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(raw), &fb), raw)
	}
	return status, fb
}

func githubSetup(t *testing.T) (*bundle, *testgithub.Keys) {
	gh := testgithub.Start(t)
	keys := &secretscan.GitHubKeys{URL: gh.URL, MinRefresh: time.Nanosecond} // shared by both surfaces, as serve does
	b := setup(t, func(c *api.Config) { c.GitHubKeys = keys })
	return b, gh
}

// TestGitHubReport follows GitHub's partner protocol: a signed report of
// an active key answers true_positive and revokes the key at once, for
// good, with api_key_exposure.created then api_key.revoked; anything else
// is false_positive and changes nothing.
func TestGitHubReport(t *testing.T) {
	t.Parallel()
	b, gh := githubSetup(t)
	k, token := b.key(t, b.liveAcc, "customer.read")
	_, sdbxToken := b.key(t, b.sdbxAcc, "customer.read")
	require.Equal(t, 200, do(t, b.live, "GET", "/event-types", token, "").status)

	random := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	status, fb := signed(t, b.live, gh, []report{
		{Token: token, Type: "keygate_live_api_key", URL: "https://github.com/o/r/blob/1/.env", Source: "content"},
		{Token: random, Type: "keygate_live_api_key", URL: "https://github.com/o/r/blob/1/.env", Source: "content"},
		{Token: "pdl_live_apikey_nothing", Type: "keygate_live_api_key", URL: "https://github.com/o/r/blob/1/x", Source: "content"},
		{Token: sdbxToken, Type: "keygate_sandbox_api_key", URL: "https://github.com/o/r/blob/1/y", Source: "commit"},
	})
	require.Equal(t, http.StatusOK, status)
	require.Len(t, fb, 4)
	require.Equal(t, []string{"true_positive", "false_positive", "false_positive", "true_positive"},
		[]string{fb[0].Label, fb[1].Label, fb[2].Label, fb[3].Label})
	require.Equal(t, "keygate_live_api_key", fb[0].TokenType)
	require.Len(t, fb[0].TokenHash, 64)
	require.NotContains(t, fmt.Sprint(fb), token, "the raw token is not sent back")

	r := do(t, b.live, "GET", "/event-types", token, "")
	require.Equal(t, "invalid_token", r.errorCode(), "refused at once")
	_, err := b.svc.ReactivateAPIKey(b.ctx, app.AccountScope(b.liveAcc.ID), k.ID)
	require.Equal(t, keygate.CodeCannotReactivate, keygate.ErrorCode(err))
	evs, _, err := b.svc.ListEvents(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.EventFilter{})
	require.NoError(t, err)
	var types []keygate.EventType
	for _, e := range evs {
		types = append(types, e.Type)
	}
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated, keygate.EventExposureCreated, keygate.EventAPIKeyRevoked}, types)
	require.Contains(t, string(evs[1].Data), `"reference":"https://github.com/o/r/blob/1/.env"`)
	require.Contains(t, string(evs[1].Data), `"source":"github"`)

	// The same report again: the same answer, nothing new.
	status, fb = signed(t, b.live, gh, []report{{Token: token, Type: "keygate_live_api_key", URL: "https://github.com/o/r/blob/1/.env", Source: "content"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "true_positive", fb[0].Label, "a revoked key is still a true positive")
	evs, _, err = b.svc.ListEvents(b.ctx, app.AccountScope(b.liveAcc.ID), keygate.EventFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 3)
}

// TestGitHubReportRefused refuses unsigned, badly signed, unknown-key,
// oversized and malformed reports, changing nothing.
func TestGitHubReportRefused(t *testing.T) {
	t.Parallel()
	b, gh := githubSetup(t)
	k, token := b.key(t, b.liveAcc, "customer.read")
	body, err := json.Marshal([]report{{Token: token, Type: "t", URL: "https://github.com/o/r/blob/1/a"}})
	require.NoError(t, err)
	id, sig := gh.Sign(body)
	_, otherSig := gh.Sign([]byte(`[]`))

	cases := []struct {
		name    string
		body    []byte
		id, sig string
		status  int
		detail  string
	}{
		{"Unsigned", body, "", "", 401, "no Github-Public-Key-Identifier"},
		{"NoSignature", body, id, "", 401, "no Github-Public-Key-Identifier"},
		{"SignatureOfAnotherBody", body, id, otherSig, 401, "signature does not match"},
		{"NotBase64", body, id, "%%%", 401, "signature does not match"},
		{"TamperedBody", []byte(strings.Replace(string(body), "/a", "/b", 1)), id, sig, 401, "signature does not match"},
		{"UnknownKey", body, strings.Repeat("ab", 32), sig, 401, "key GitHub does not publish"},
		{"Oversized", []byte("[" + strings.Repeat(" ", api.MaxReportBytes) + "]"), id, sig, 400, "larger than 2 MiB"},
	}
	for _, tc := range cases {
		status, raw := postReport(t, b.live, tc.body, tc.id, tc.sig)
		require.Equal(t, tc.status, status, tc.name)
		require.Contains(t, raw, tc.detail, tc.name)
	}
	notArray := []byte(`{"token":"x"}`)
	nid, nsig := gh.Sign(notArray)
	status, raw := postReport(t, b.live, notArray, nid, nsig)
	require.Equal(t, 400, status)
	require.Contains(t, raw, "JSON array")

	require.Equal(t, 200, do(t, b.live, "GET", "/event-types", token, "").status, "nothing changed")
	got, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.Nil(t, got.ExposedAt)
}

// TestGitHubKeysRefresh reads GitHub's keys once, then again only when a
// report names a key it does not know: GitHub rotated its key.
func TestGitHubKeysRefresh(t *testing.T) {
	t.Parallel()
	b, gh := githubSetup(t)
	status, _ := signed(t, b.live, gh, []report{})
	require.Equal(t, 200, status)
	status, _ = signed(t, b.sandbox, gh, []report{})
	require.Equal(t, 200, status)
	require.Equal(t, int64(1), gh.Fetches(), "cached")
	gh.AddKey()
	status, _ = signed(t, b.live, gh, []report{})
	require.Equal(t, 200, status, "a new key is fetched when it first signs")
	require.Equal(t, int64(2), gh.Fetches())

	// Unknown identifiers refetch at most once per MinRefresh.
	keys := &secretscan.GitHubKeys{URL: gh.URL, MinRefresh: time.Hour}
	_, sig := gh.Sign([]byte("[]"))
	for range 5 {
		require.ErrorIs(t, keys.Verify(b.ctx, "unknown", sig, []byte("[]")), secretscan.ErrUnknownKey)
	}
	require.Equal(t, int64(3), gh.Fetches())
}

// TestGitHubReportThousand answers a report of a thousand tokens, half of
// them keys: each is answered, in order.
func TestGitHubReportThousand(t *testing.T) {
	t.Parallel()
	b, gh := githubSetup(t)
	var reports []report
	var want []string
	for i := range 1000 {
		tok := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
		label := "false_positive"
		if i%20 == 0 {
			_, tok = b.key(t, b.liveAcc, "customer.read")
			label = "true_positive"
		}
		reports = append(reports, report{Token: tok, Type: "keygate_live_api_key", URL: fmt.Sprintf("https://github.com/o/r/blob/1/f%d", i), Source: "content"})
		want = append(want, label)
	}
	start := time.Now()
	status, fb := signed(t, b.live, gh, reports)
	t.Logf("1,000 tokens (50 keys) answered in %v", time.Since(start))
	require.Equal(t, 200, status)
	got := make([]string, len(fb))
	for i, f := range fb {
		got[i] = f.Label
	}
	require.Equal(t, want, got)
}

// TestGitLabRevocation follows GitLab's token revocation API: the types,
// then a leak revoked with the same outcomes; a wrong or missing token is
// 401, and with no token configured the endpoint does not exist.
func TestGitLabRevocation(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *api.Config) { c.GitLabToken = "s3cret-revocation-token" })
	k, token := b.key(t, b.liveAcc, "customer.read")
	call := func(method, path, auth, body string) (int, string) {
		req, err := http.NewRequest(method, b.live.URL+"/secret-scanning/gitlab/v1/"+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	status, raw := call("GET", "revocable_token_types", "s3cret-revocation-token", "")
	require.Equal(t, 200, status)
	require.JSONEq(t, `{"types":["gitleaks_rule_id_keygate_live_api_key","gitleaks_rule_id_keygate_sandbox_api_key"]}`, raw)
	leak := fmt.Sprintf(`[{"type":"gitleaks_rule_id_keygate_live_api_key","token":%q,"location":"https://gitlab.example.com/g/p/-/blob/abc/.env"}]`, token)
	for _, auth := range []string{"", "wrong", "Bearer wrong"} {
		status, raw = call("POST", "revoke_tokens", auth, leak)
		require.Equal(t, 401, status, auth)
		require.Contains(t, raw, "KEYGATE_GITLAB_REVOCATION_TOKEN")
	}
	require.Equal(t, 200, do(t, b.live, "GET", "/event-types", token, "").status, "a refused request changes nothing")

	status, _ = call("POST", "revoke_tokens", "Bearer s3cret-revocation-token", leak)
	require.Equal(t, 204, status)
	require.Equal(t, "invalid_token", do(t, b.live, "GET", "/event-types", token, "").errorCode())
	got, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), k.ID)
	require.NoError(t, err)
	require.Equal(t, keygate.RevokedBySystem, got.RevokedBy)
	status, _ = call("POST", "revoke_tokens", "s3cret-revocation-token", leak)
	require.Equal(t, 204, status, "idempotent")
	list, _, err := b.svc.ListAPIKeyExposures(b.ctx, app.OperatorScope(), keygate.APIKeyExposureFilter{APIKeyID: k.ID})
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, keygate.SourceGitLab, list[0].Source)

	off := setup(t, nil)
	req, err := http.NewRequest("GET", off.live.URL+"/secret-scanning/gitlab/v1/revocable_token_types", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "")
	require.Equal(t, 404, send(t, req).status)
	status, _ = postReport(t, off.live, []byte("[]"), "x", "y")
	require.Equal(t, 404, status, "no GitHub keys configured: no endpoint")
}

// TestAPIKeyExposures lists a key's exposures with Paddle's list
// conventions; it needs api_key.read, and another account's key is
// not_found.
func TestAPIKeyExposures(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	k, token := b.key(t, b.liveAcc, "customer.read")
	_, reader := b.key(t, b.liveAcc, "api_key.read")
	_, other := b.key(t, b.sdbxAcc, "api_key.read")
	var reports []keygate.ExposureReport
	for i := range 3 {
		reports = append(reports, keygate.ExposureReport{Token: token, Source: keygate.SourceKeygateScan, Reference: fmt.Sprintf("deploy.sh:%d", i+1)})
	}
	_, err := b.svc.ReportExposures(b.ctx, reports)
	require.NoError(t, err)

	r := do(t, b.live, "GET", "/api-keys/"+k.ID+"/exposures?per_page=2", reader, "")
	require.Equal(t, 200, r.status, r.raw)
	list := r.list()
	require.Len(t, list, 2)
	first := list[0].(map[string]any)
	require.Equal(t, k.ID, first["api_key_id"])
	require.Equal(t, "high", first["risk_level"])
	require.Equal(t, "revoked", first["action_taken"])
	require.Equal(t, "keygate-scan", first["source"])
	require.Equal(t, "deploy.sh:1", first["reference"])
	require.Regexp(t, `^apkexp_[a-z0-9]{26}$`, first["id"])
	pg := r.body["meta"].(map[string]any)["pagination"].(map[string]any)
	require.Equal(t, true, pg["has_more"])
	require.EqualValues(t, 3, pg["estimated_total"])
	next := pg["next"].(string)
	r = do(t, b.live, "GET", strings.TrimPrefix(next, b.live.URL), reader, "")
	require.Len(t, r.list(), 1)
	require.Equal(t, "low", r.list()[0].(map[string]any)["risk_level"])
	r = do(t, b.live, "GET", "/api-keys/"+k.ID+"/exposures?order_by=id[DESC]", reader, "")
	require.Equal(t, "deploy.sh:3", r.list()[0].(map[string]any)["reference"])

	_, noRead := b.key(t, b.liveAcc, "customer.read")
	require.Equal(t, "forbidden", do(t, b.live, "GET", "/api-keys/"+k.ID+"/exposures", noRead, "").errorCode())
	require.Equal(t, "not_found", do(t, b.sandbox, "GET", "/api-keys/"+k.ID+"/exposures", other, "").errorCode())
	require.Equal(t, "bad_request", do(t, b.live, "GET", "/api-keys/nope/exposures", reader, "").errorCode())
	require.Equal(t, "invalid_field", do(t, b.live, "GET", "/api-keys/"+k.ID+"/exposures?order_by=name", reader, "").errorCode())
}
