package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testlog"
	"github.com/stretchr/testify/require"
)

var setupLinkPattern = regexp.MustCompile(`set up the (live|sandbox) environment at (\S+) `)

// serveOnce runs serve in-process on env until the returned stop is
// called, and returns the set-up links it printed by environment and the
// base URLs of its surfaces.
func serveOnce(t *testing.T, env map[string]string) (links, urls map[string]string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, &stderr)
	}()
	urls = waitListening(t, stderr.String)
	links = map[string]string{}
	for _, m := range setupLinkPattern.FindAllStringSubmatch(stderr.String(), -1) {
		links[m[1]] = m[2]
	}
	return links, urls, func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// setUpWith follows a set-up link as a browser does and returns the status
// of the form's answer and the client, signed in if it worked.
func setUpWith(t *testing.T, link, email string) (int, *http.Client) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(link)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, client
	}
	u, err := url.Parse(link)
	require.NoError(t, err)
	resp, err = client.PostForm(u.Scheme+"://"+u.Host+"/setup", url.Values{
		"csrf": {csrfPattern.FindStringSubmatch(string(body))[1]}, "token": {u.Query().Get("token")},
		"account": {"Acme"}, "email": {email}, "password": {"a long password"}})
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, client
}

// TestServeSetUpLinks: a fresh install prints a set-up link per
// environment; each works once and on its own; a restart prints the link of
// the environment still without a user, and only that one; each dashboard's
// header switches to the other environment's dashboard.
func TestServeSetUpLinks(t *testing.T) {
	t.Parallel()
	env := serveEnv(t.TempDir())
	links, urls, stop := serveOnce(t, env)
	require.Len(t, links, 2, "a link per environment")
	require.True(t, strings.HasPrefix(links["sandbox"], urls["sandbox dashboard"]+"/setup?token="), links["sandbox"])
	require.True(t, strings.HasPrefix(links["live"], urls["live dashboard"]+"/setup?token="), links["live"])

	status, _ := setUpWith(t, links["sandbox"], "sandbox@example.com")
	require.Equal(t, http.StatusSeeOther, status, "the sandbox link works")
	status, _ = setUpWith(t, links["sandbox"], "again@example.com")
	require.Equal(t, http.StatusForbidden, status, "once")
	code, body := get(t, links["sandbox"])
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, body, "set up already", "the advice is to sign in, which is true now")

	code, body = get(t, strings.Replace(links["live"], "token=", "token=x", 1))
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, body, "Restart keygate serve", "live has no user: a restart prints a new link")
	stop()

	links, urls, stop = serveOnce(t, env)
	defer stop()
	require.Len(t, links, 1, "only the environment without a user")
	require.Contains(t, links, "live")
	status, client := setUpWith(t, links["live"], "live@example.com")
	require.Equal(t, http.StatusSeeOther, status, "the live link works after sandbox was set up")

	resp, err := client.Get(urls["live dashboard"] + "/authentication")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(page), `href="`+urls["sandbox dashboard"]+`/authentication"`, "the switch goes to the sandbox dashboard")
}
