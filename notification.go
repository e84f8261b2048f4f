package keygate

import (
	"encoding/json"
	"math"
	"net/mail"
	"net/url"
	"time"
)

// NotificationSettingType is where a destination's notifications go.
type NotificationSettingType string

// The kinds of destination.
const (
	DestinationURL   NotificationSettingType = "url"   // a webhook endpoint
	DestinationEmail NotificationSettingType = "email" // an e-mail address
)

// TrafficSource says which events a destination receives.
type TrafficSource string

// The traffic sources, as Paddle has them. keygate emits only platform
// events; simulation is accepted for compatibility.
const (
	TrafficPlatform   TrafficSource = "platform"
	TrafficSimulation TrafficSource = "simulation"
	TrafficAll        TrafficSource = "all"
)

// NotificationSetting is a notification destination (Paddle's
// notification_setting): a webhook URL or an e-mail address subscribed to
// event types.
type NotificationSetting struct {
	ID                     string // "ntfset_…"
	AccountID              string
	Environment            Environment
	Description            string
	Type                   NotificationSettingType
	Destination            string
	Active                 bool
	APIVersion             int
	IncludeSensitiveFields bool
	SubscribedEvents       []EventType
	TrafficSource          TrafficSource
	// Secret is the endpoint secret key ("pdl_ntfset_…"), the HMAC key of
	// webhook signatures; SealedSecret is how it is stored (encrypted).
	Secret       string
	SealedSecret []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Wants reports whether the destination receives events of type t: it is
// active, subscribed to t, and takes platform traffic.
func (s *NotificationSetting) Wants(t EventType) bool {
	if !s.Active || s.TrafficSource == TrafficSimulation {
		return false
	}
	for _, e := range s.SubscribedEvents {
		if e == t {
			return true
		}
	}
	return false
}

// NotificationSettingCreate is what creating a destination takes; nil
// fields take Paddle's defaults.
type NotificationSettingCreate struct {
	Description            string
	Type                   NotificationSettingType
	Destination            string
	SubscribedEvents       []EventType
	APIVersion             *int
	IncludeSensitiveFields *bool
	TrafficSource          *TrafficSource
}

// NotificationSettingUpdate is a change to a destination; nil fields are
// left as they are.
type NotificationSettingUpdate struct {
	Description            *string
	Destination            *string
	Active                 *bool
	APIVersion             *int
	IncludeSensitiveFields *bool
	SubscribedEvents       *[]EventType
	TrafficSource          *TrafficSource
}

// NewNotificationSetting validates c and returns the destination it makes,
// without ID or secret.
func NewNotificationSetting(c NotificationSettingCreate, now time.Time) (*NotificationSetting, error) {
	s := &NotificationSetting{
		Description: c.Description, Type: c.Type, Destination: c.Destination, Active: true, APIVersion: 1,
		SubscribedEvents: c.SubscribedEvents, TrafficSource: TrafficPlatform, CreatedAt: now, UpdatedAt: now,
	}
	if c.APIVersion != nil {
		s.APIVersion = *c.APIVersion
	}
	if c.IncludeSensitiveFields != nil {
		s.IncludeSensitiveFields = *c.IncludeSensitiveFields
	}
	if c.TrafficSource != nil {
		s.TrafficSource = *c.TrafficSource
	}
	var v validation
	if s.Type != DestinationURL && s.Type != DestinationEmail {
		v.add("type", "must be one of url, email")
	}
	s.validate(&v)
	return s, v.err()
}

// Apply validates u and applies it at now; on error s is untouched.
func (s *NotificationSetting) Apply(now time.Time, u NotificationSettingUpdate) error {
	next := *s
	setIf(&next.Description, u.Description)
	setIf(&next.Destination, u.Destination)
	setIf(&next.Active, u.Active)
	setIf(&next.APIVersion, u.APIVersion)
	setIf(&next.IncludeSensitiveFields, u.IncludeSensitiveFields)
	setIf(&next.SubscribedEvents, u.SubscribedEvents)
	setIf(&next.TrafficSource, u.TrafficSource)
	var v validation
	next.validate(&v)
	if err := v.err(); err != nil {
		return err
	}
	next.UpdatedAt = now
	*s = next
	return nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// validate checks the fields every destination must satisfy.
func (s *NotificationSetting) validate(v *validation) {
	validateText(v, "description", s.Description, 1, 500)
	validateText(v, "destination", s.Destination, 1, 2048)
	switch s.Type {
	case DestinationURL:
		if u, err := url.Parse(s.Destination); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("destination", "must be an http or https URL")
		}
	case DestinationEmail:
		if a, err := mail.ParseAddress(s.Destination); err != nil || a.Address != s.Destination {
			v.add("destination", "must be an e-mail address")
		}
	}
	if s.APIVersion != 1 {
		v.add("api_version", "must be 1, the only version of the API")
	}
	if s.TrafficSource != TrafficPlatform && s.TrafficSource != TrafficSimulation && s.TrafficSource != TrafficAll {
		v.add("traffic_source", "must be one of platform, simulation, all")
	}
	if len(s.SubscribedEvents) == 0 {
		v.add("subscribed_events", "must contain at least one event type")
	}
	seen := map[EventType]bool{}
	var events []EventType
	for _, e := range s.SubscribedEvents {
		if !KnownEventType(e) {
			v.add("subscribed_events", "unknown event type %q", string(e))
		} else if !seen[e] {
			seen[e] = true
			events = append(events, e)
		}
	}
	s.SubscribedEvents = events
}

// NotificationStatus is the delivery status of a notification.
type NotificationStatus string

// The statuses of a notification.
const (
	NotificationNotAttempted NotificationStatus = "not_attempted"
	NotificationNeedsRetry   NotificationStatus = "needs_retry"
	NotificationDelivered    NotificationStatus = "delivered"
	NotificationFailed       NotificationStatus = "failed"
)

// NotificationOrigin says how a notification came to be.
type NotificationOrigin string

// The origins of a notification.
const (
	OriginEvent  NotificationOrigin = "event"
	OriginReplay NotificationOrigin = "replay"
)

// NotificationRetention is how long notifications can be replayed, as
// Paddle keeps them.
const NotificationRetention = 90 * 24 * time.Hour

// Notification is one delivery of one event to one destination.
type Notification struct {
	ID          string // "ntf_…"
	AccountID   string
	Environment Environment
	SettingID   string
	EventID     string
	Type        EventType
	Status      NotificationStatus
	Origin      NotificationOrigin
	// Payload is the body delivered: {event_id, event_type, occurred_at,
	// notification_id, data}. It is fixed when the notification is made, so
	// every attempt sends the same bytes.
	Payload        json.RawMessage
	OccurredAt     time.Time
	DeliveredAt    *time.Time
	ReplayedAt     *time.Time
	LastAttemptAt  *time.Time
	RetryAt        *time.Time // when the next attempt is due; nil when none is
	TimesAttempted int
	CreatedAt      time.Time
}

// NotificationLog records one delivery attempt.
type NotificationLog struct {
	ID                  string // "ntflog_…"
	NotificationID      string
	AccountID           string
	ResponseCode        int // HTTP status, SMTP reply code, or 0 when nothing answered
	ResponseContentType *string
	ResponseBody        string // truncated; for failures without an answer, what went wrong
	AttemptedAt         time.Time
}

// RetrySchedule is when failed deliveries are tried again: the n-th retry
// (from 1) waits Base × Factor^(n-1) after the attempt before it, up to
// Retries retries; then the notification has failed.
type RetrySchedule struct {
	Retries int
	Base    time.Duration
	Factor  float64
}

// Paddle's schedules: in the sandbox, 3 retries within 15 minutes (1, 3
// and 9 minutes apart); live, 60 retries within 3 days (20 in the first hour).
var (
	SandboxRetries = RetrySchedule{Retries: 3, Base: time.Minute, Factor: 3}
	LiveRetries    = RetrySchedule{Retries: 60, Base: time.Minute, Factor: 1.1}
)

// delay returns the wait before retry n (from 1).
func (r RetrySchedule) delay(n int) time.Duration {
	return time.Duration(float64(r.Base) * math.Pow(r.Factor, float64(n-1)))
}

// RecordAttempt records an attempt at now that delivered or did not, and
// schedules the next by r.
func (n *Notification) RecordAttempt(now time.Time, delivered bool, r RetrySchedule) {
	n.TimesAttempted++
	n.LastAttemptAt = &now
	switch {
	case delivered:
		n.Status, n.DeliveredAt, n.RetryAt = NotificationDelivered, &now, nil
	case n.TimesAttempted > r.Retries:
		n.Status, n.RetryAt = NotificationFailed, nil
	default:
		next := now.Add(r.delay(n.TimesAttempted))
		n.Status, n.RetryAt = NotificationNeedsRetry, &next
	}
}

// CanReplay returns nil if the notification may be replayed at now:
// Paddle replays only delivered or failed notifications that came from an
// event, within the retention period.
func (n *Notification) CanReplay(now time.Time) error {
	switch {
	case n.Status != NotificationDelivered && n.Status != NotificationFailed:
		return Errorf(CodeCannotReplay, "Notification %s can't be replayed because it's not `delivered` or `failed`.", n.ID)
	case n.Origin != OriginEvent:
		return Errorf(CodeReplayInvalidOrigin, "Only notifications with the origin `event` can be replayed.")
	case now.Sub(n.OccurredAt) > NotificationRetention:
		return Errorf(CodeCannotReplay, "Notification %s is older than 90 days and can't be replayed.", n.ID)
	}
	return nil
}
