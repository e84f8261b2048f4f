package keygate

import (
	"encoding/json"
	"time"
)

// EventType is the type of an event, as Paddle names it.
type EventType string

// The event types keygate emits about credentials.
const (
	EventAPIKeyCreated   EventType = "api_key.created"
	EventAPIKeyUpdated   EventType = "api_key.updated"
	EventAPIKeyExpiring  EventType = "api_key.expiring"
	EventAPIKeyExpired   EventType = "api_key.expired"
	EventAPIKeyRevoked   EventType = "api_key.revoked"
	EventExposureCreated EventType = "api_key_exposure.created"
	EventRotationCreated EventType = "api_key_rotation.created"
	EventRotationUpdated EventType = "api_key_rotation.updated"
	EventClientCreated   EventType = "client_token.created"
	EventClientUpdated   EventType = "client_token.updated"
	EventClientRevoked   EventType = "client_token.revoked"
	// EventUsageThreshold is keygate's own: a key used 80% or 100% of its
	// credits.
	EventUsageThreshold EventType = "api_key.usage_threshold"
)

// EventNotificationTest is the type of the test event a user sends to one
// destination from the dashboard. It is not in EventTypes: no destination
// subscribes to it, and lists of an account's events leave it out.
const EventNotificationTest EventType = "notification_setting.test"

// Event records a change to an entity. It is written in the same transaction
// as the change, so an event exists if and only if its change committed.
type Event struct {
	ID          string // "evt_…"
	AccountID   string
	Environment Environment
	Type        EventType
	// EntityID is the ID of the entity the event is about ("apikey_…").
	EntityID   string
	OccurredAt time.Time
	// Data is the entity as Paddle's API shows it at the time of the event
	// (an API key's key obfuscated).
	Data json.RawMessage
}
