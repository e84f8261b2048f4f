package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// TestSignInHashBudgetFull fills the password-hashing budget and checks
// that a sign-in then waits briefly and gets a clear "try again" page (503,
// Retry-After), which counts as no failure of the password.
func TestSignInHashBudgetFull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signedIn(t)
	b.svc.HashBudget = credential.NewHashBudget(credential.PasswordHashMemory, 100*time.Millisecond)
	held, release := make(chan struct{}), make(chan struct{})
	go b.svc.HashBudget.Do(context.Background(), func() { close(held); <-release })
	<-held
	br := b.browser(t)
	_, body := br.get("/sign-in")
	token := csrf(t, body)
	for range 12 { // more than the lockout's threshold: none of these counts as a failure
		resp, body := br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "5", resp.Header.Get("Retry-After"))
		require.Contains(t, body, "Too many sign-ins at once. Try again in a few seconds.")
	}
	close(release)
	resp, _ := br.post("/sign-in", url.Values{"csrf": {token}, "email": {"ada@example.com"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed in once the budget has room")
}
