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
	if w.EventType == string(keygate.EventExposureCreated) {
		return renderExposure(env, w)
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

// renderExposure renders api_key_exposure.created: where the key was found,
// the risk, and what keygate did.
func renderExposure(env keygate.Environment, w wire.Webhook) (subject, body string, err error) {
	var x wire.APIKeyExposure
	if err := json.Unmarshal(w.Data, &x); err != nil {
		return "", "", err
	}
	what := fmt.Sprintf("The API key %s in your %s environment was found exposed (source: %s).\nWhere: %s\nRisk level: %s\nAction taken: %s",
		x.APIKeyID, env, x.Source, x.Reference, x.RiskLevel, x.ActionTaken)
	if x.Description != nil {
		what += "\nDetail: " + *x.Description
	}
	todo := "The key was already revoked or expired, so nothing was changed. Remove it from where it was found."
	subject = "API key exposed: " + x.APIKeyID
	if x.ActionTaken == string(keygate.ActionRevoked) {
		subject = "API key exposed and revoked: " + x.APIKeyID
		todo = "keygate revoked the key at once; it can't be reactivated. Create a new key, move your integration to it, and remove the exposed key from where it was found."
	}
	body = fmt.Sprintf("%s\n\n%s\n\nEvent: %s (%s)\nOccurred at: %s\n",
		what, todo, w.EventID, w.EventType, time.Time(w.OccurredAt).UTC().Format(time.RFC3339))
	return "[keygate " + string(env) + "] " + subject, body, nil
}
