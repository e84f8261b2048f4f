package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/credential"
)

// createDestination creates a destination through the form and returns its
// ID.
func (br *browser) createDestination(t *testing.T, form url.Values) string {
	t.Helper()
	_, body := br.get("/notifications/new")
	form.Set("csrf", csrf(t, body))
	resp, body := br.post("/notifications", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	page, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
	return strings.TrimPrefix(page, "/notifications/")
}

// failDeliveries marks every delivery of a destination failed after three
// attempts, the last answered 500, as the dispatcher records it.
func (b *bundle) failDeliveries(t *testing.T, accountID, settingID string) {
	t.Helper()
	now := b.clock.Now()
	require.NoError(t, b.svc.Store.Update(b.ctx, func(tx keygate.Tx) error {
		list, _, err := tx.FindNotifications(b.ctx, keygate.NotificationFilter{AccountID: accountID, SettingID: settingID, Page: keygate.Page{Limit: 10, SkipCount: true}})
		if err != nil {
			return err
		}
		for _, n := range list {
			n.Status, n.TimesAttempted, n.LastAttemptAt, n.RetryAt = keygate.NotificationFailed, 3, &now, nil
			if err := tx.UpdateNotification(b.ctx, n); err != nil {
				return err
			}
			if err := tx.CreateNotificationLog(b.ctx, &keygate.NotificationLog{ID: credential.NewID("ntflog", now), NotificationID: n.ID,
				AccountID: n.AccountID, ResponseCode: 500, ResponseBody: "upstream is down", AttemptedAt: now}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// TestDeliveries: a destination's page lists its deliveries with status,
// attempts, response code and time; a failed one is replayed as a new
// delivery; a delivery is only replayed through its own destination.
func TestDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	newDestination := func(desc string) string {
		return br.createDestination(t, url.Values{"description": {desc}, "type": {"url"},
			"destination": {"https://hooks.example.com/" + desc}, "events": {"api_key.created"}})
	}
	ops, other := newDestination("ops"), newDestination("other")
	k, err := b.svc.GetAPIKey(b.ctx, app.OperatorScope(), br.createKey(t, url.Values{"name": {"k"}, "permissions": {"price.read"}}))
	require.NoError(t, err)
	b.clock.Add(time.Minute)
	b.failDeliveries(t, k.AccountID, ops)

	_, body := br.get("/notifications/" + ops)
	token := csrf(t, body)
	require.Contains(t, body, ">Failed<")
	require.Regexp(t, `data-label="Attempts">3<`, body)
	require.Contains(t, body, `<span class="mono">500</span>`)
	require.Contains(t, body, "upstream is down")
	require.Contains(t, body, "just now</time>", "the time of the last attempt")
	ntf := regexp.MustCompile(`data-delivery-id="(ntf_[a-z\d]{26})"`).FindStringSubmatch(body)[1]

	resp, _ := br.post("/notifications/"+other+"/deliveries/"+ntf+"/replay", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "not through another destination")
	resp, _ = br.post("/notifications/"+ops+"/deliveries/"+ntf+"/replay", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = br.get(resp.Header.Get("Location"))
	require.Contains(t, body, "The delivery was queued again")
	require.Equal(t, 2, strings.Count(body, `data-delivery-id="`))
	require.Contains(t, body, "(replay)")
	require.Contains(t, body, ">Pending<")
	resp, _ = br.post("/notifications/"+ops+"/deliveries/"+ntf+"/replay", url.Values{"csrf": {token}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "a failed delivery may be replayed again")
}

// TestEventsFilterAndLinks: events filter by several types at once, and
// each links to what it is about, client-side tokens included.
func TestEventsFilterAndLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	id := br.createKey(t, url.Values{"name": {"k"}, "permissions": {"price.read"}})
	_, body := br.get("/authentication/client-tokens")
	resp, _ := br.post("/authentication/client-tokens", url.Values{"csrf": {csrf(t, body)}, "name": {"Pricing page"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, tokens := br.get("/authentication/client-tokens")
	ctkn := regexp.MustCompile(`data-token-id="(ctkn_[a-z\d]{26})"`).FindStringSubmatch(tokens)[1]
	require.Contains(t, tokens, `id="`+ctkn+`"`, "the link's target exists")

	_, body = br.get("/events?type=api_key.created&type=client_token.created")
	require.Contains(t, body, `href="/authentication/api-keys/`+id+`"`)
	require.Contains(t, body, `href="/authentication/client-tokens#`+ctkn+`"`)
	require.Contains(t, body, `value="client_token.created" checked`)
	require.Contains(t, body, `<a href="/events" aria-current="page">Events</a>`, "the header marks the current section")
	_, body = br.get("/events?type=client_token.created")
	require.NotContains(t, body, "api_key.created</code></td>")
	_, body = br.get("/events?type=api_key.revoked&type=api_key.expired")
	require.Contains(t, body, "No events of these types.")
}

// TestDestinationEdit: a destination's form saves its description, address,
// state and events; a bad address or no event is shown next to its field
// with what was typed kept, and saves nothing; without the CSRF token or
// for another account's destination nothing is saved either.
func TestDestinationEdit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	br := b.signedIn(t)
	id := br.createDestination(t, url.Values{"description": {"ops"}, "type": {"url"},
		"destination": {"https://hooks.example.com/ops"}, "events": {"api_key.created"}, "active": {"on"}})
	_, body := br.get("/notifications/" + id)
	token := csrf(t, body)
	stored := func() *keygate.NotificationSetting {
		ns, err := b.svc.GetNotificationSetting(b.ctx, app.OperatorScope(), id)
		require.NoError(t, err)
		return ns
	}

	resp, body := br.post("/notifications/"+id, url.Values{"csrf": {token}, "description": {"ops (typed)"},
		"destination": {"ftp://hooks.example.com/ops"}, "events": {"api_key.revoked"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `id="destination-error"`, "the problem next to its field")
	require.Contains(t, body, `value="ftp://hooks.example.com/ops"`, "what was typed is kept")
	require.Contains(t, body, `value="ops (typed)"`)
	require.Equal(t, "ops", stored().Description, "nothing saved")

	resp, body = br.post("/notifications/"+id, url.Values{"csrf": {token}, "description": {"ops"},
		"destination": {"https://hooks.example.com/ops"}})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, `id="events-error"`, "no event chosen")
	require.Equal(t, []keygate.EventType{keygate.EventAPIKeyCreated}, stored().SubscribedEvents)

	resp, _ = br.post("/notifications/"+id, url.Values{"csrf": {"not the token"}, "description": {"hijacked"},
		"destination": {"https://evil.example.com/"}, "events": {"api_key.created"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "https://hooks.example.com/ops", stored().Destination)

	resp, _ = br.post("/notifications/"+id, url.Values{"csrf": {token}, "description": {"ops, paused"},
		"destination": {"https://hooks.example.com/ops2"}, "events": {"api_key.revoked", "api_key.expired"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/notifications/"+id+"?done=saved", resp.Header.Get("Location"))
	got := stored()
	require.Equal(t, "ops, paused", got.Description)
	require.Equal(t, "https://hooks.example.com/ops2", got.Destination)
	require.False(t, got.Active, "the box left unticked pauses it")
	require.ElementsMatch(t, []keygate.EventType{keygate.EventAPIKeyRevoked, keygate.EventAPIKeyExpired}, got.SubscribedEvents)

	other, err := b.svc.CreateAccount(b.ctx, keygate.AccountCreate{Environment: keygate.Sandbox, Name: "Other"})
	require.NoError(t, err)
	theirs, err := b.svc.CreateNotificationSetting(b.ctx, app.OperatorScope(), other.ID, keygate.NotificationSettingCreate{
		Description: "theirs", Type: keygate.DestinationURL, Destination: "https://hooks.example.com/theirs", SubscribedEvents: []keygate.EventType{keygate.EventAPIKeyCreated}})
	require.NoError(t, err)
	resp, _ = br.post("/notifications/"+theirs.ID, url.Values{"csrf": {token}, "description": {"mine now"},
		"destination": {"https://evil.example.com/"}, "events": {"api_key.created"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "another account's destination does not exist here")
	ns, err := b.svc.GetNotificationSetting(b.ctx, app.OperatorScope(), theirs.ID)
	require.NoError(t, err)
	require.Equal(t, "theirs", ns.Description)
}
