package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// Render returns the subject and plain-text body of the e-mail for a
// notification's payload: what happened to which key, and what to do.
func Render(env keygate.Environment, payload []byte) (subject, body string, err error) {
	var w wire.Webhook
	if err := json.Unmarshal(payload, &w); err != nil {
		return "", "", err
	}
	var k wire.APIKey
	if strings.HasPrefix(w.EventType, "api_key.") {
		if err := json.Unmarshal(w.Data, &k); err != nil {
			return "", "", err
		}
	}
	expires := "never"
	if k.ExpiresAt != nil {
		expires = time.Time(*k.ExpiresAt).UTC().Format("Monday 2 January 2006 at 15:04 UTC")
	}
	key := fmt.Sprintf("%q (%s, ID %s) in your %s environment", k.Name, k.Key, k.ID, env)
	var what, todo string
	switch keygate.EventType(w.EventType) {
	case keygate.EventAPIKeyCreated:
		subject, what = fmt.Sprintf("New API key: %s", k.Name), "An API key was created: "+key+". It expires "+expires+"."
		todo = "If you did not expect this, revoke the key at once."
	case keygate.EventAPIKeyUpdated:
		subject, what = fmt.Sprintf("API key updated: %s", k.Name), "The API key "+key+" was updated. Its status is "+k.Status+"."
		todo = "If you did not expect this, check the key's permissions, and revoke it if need be."
	case keygate.EventAPIKeyRevoked:
		subject, what = fmt.Sprintf("API key revoked: %s", k.Name), "The API key "+key+" was revoked. It no longer authenticates requests."
		todo = "If this was a mistake, a key a person revoked can be reactivated within 60 minutes of the revocation. Otherwise, move anything that still uses it to another key."
	case keygate.EventAPIKeyExpiring:
		subject, what = fmt.Sprintf("API key expires soon: %s", k.Name), "The API key "+key+" expires on "+expires+"."
		todo = "Rotate it before it expires: create a new key, move your integration to it, then revoke this one. An expired key can't be brought back."
	case keygate.EventAPIKeyExpired:
		subject, what = fmt.Sprintf("API key expired: %s", k.Name), "The API key "+key+" expired on "+expires+". It no longer authenticates requests."
		todo = "Create a new key and move your integration to it."
	default:
		subject, what, todo = "keygate: "+w.EventType, "Event "+w.EventType+" occurred.", "See the event in the dashboard."
	}
	body = fmt.Sprintf("%s\n\n%s\n\nEvent: %s (%s)\nOccurred at: %s\n",
		what, todo, w.EventID, w.EventType, time.Time(w.OccurredAt).UTC().Format(time.RFC3339))
	return "[keygate " + string(env) + "] " + subject, body, nil
}
