package keygate

// EventTypeInfo describes an event type, as Paddle's GET /event-types
// lists it.
type EventTypeInfo struct {
	Name              EventType
	Description       string
	Group             string
	AvailableVersions []int
	// Keygate marks keygate's own event types, which Paddle does not have.
	Keygate bool
}

// EventTypes lists every event type keygate emits, and only those: a type
// is added here when the code that emits it lands.
var EventTypes = []EventTypeInfo{
	{EventAPIKeyCreated, "Occurs when an API key is created.", "API key", []int{1}, false},
	{EventAPIKeyUpdated, "Occurs when an API key is updated: its name, description, permissions, IP allowlist, rate limit or credits were changed, or it was reactivated.", "API key", []int{1}, false},
	{EventAPIKeyRevoked, "Occurs when an API key is revoked, by a user or by keygate after a high-risk exposure.", "API key", []int{1}, false},
	{EventAPIKeyExpiring, "Occurs 7 days before an API key expires.", "API key", []int{1}, false},
	{EventAPIKeyExpired, "Occurs when an API key expires: its status changes to expired and it no longer authenticates.", "API key", []int{1}, false},
	{EventRotationCreated, "Occurs when an API key rotation is created: a new secret was issued for a rotatable key.", "API key", []int{1}, false},
	{EventRotationUpdated, "Occurs when an API key rotation is updated: it completed when its new secret was first used, was canceled by a newer rotation, or a newer rotation ended its grace period.", "API key", []int{1}, false},
	{EventExposureCreated, "Occurs when an API key is found exposed: reported by a code host's secret scanning or found by keygate scan. A high-risk exposure is followed by api_key.revoked.", "API key exposure", []int{1}, false},
	{EventUsageThreshold, "keygate's own: occurs when an API key has used 80% and again when it has used 100% of its credits, once each until its balance is set again or refilled.", "API key", []int{1}, true},
	{EventClientCreated, "Occurs when a client-side token is created.", "Client-side token", []int{1}, false},
	{EventClientUpdated, "Occurs when a client-side token is updated with a status of revoked.", "Client-side token", []int{1}, false},
	{EventClientRevoked, "Occurs when a client-side token is revoked.", "Client-side token", []int{1}, false},
}

// KnownEventType reports whether keygate emits events of type t.
func KnownEventType(t EventType) bool {
	for _, e := range EventTypes {
		if e.Name == t {
			return true
		}
	}
	return false
}
