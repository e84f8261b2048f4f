// Package app holds keygate's use cases: creating accounts, users and keys,
// updating, revoking and reactivating keys, listing them. Each use case is
// one store transaction that applies the rules of package keygate and, for
// every change, writes the change's event in the same transaction, so that
// an event exists exactly when its change committed.
//
// Every surface (CLI, API, dashboard) calls these, so a key behaves the same
// whichever way it is managed.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// Service runs the use cases over a store.
type Service struct {
	Store keygate.Store
	// Now returns the current time; tests pin it.
	Now func() time.Time
	// Changed, if set, is called with a credential's entity ID after a
	// change to it commits, so that this process's verifier forgets it at
	// once. Other processes learn of it from the change feed.
	Changed func(credentialID string)
	// Wake, if set, is called after a change that wrote events commits, so
	// that this process's dispatcher delivers them at once.
	Wake func()
	// Sealer encrypts the secrets of notification destinations at rest.
	Sealer *credential.Sealer
	// HashBudget bounds the memory of password hashing (sign-ins, set-up);
	// nil is no bound. serve gives one (KEYGATE_PASSWORD_HASH_MEMORY).
	HashBudget *credential.HashBudget
	// SignInIPSlowAfter is how many sign-in attempts one client IP makes in
	// a window before each further one is slowed; default
	// SignInIPSlowAfter.
	SignInIPSlowAfter int
	// AddressPolicy says which webhook destinations may be saved; nil allows
	// public addresses only.
	AddressPolicy *keygate.AddressPolicy
	// KeyPrefix starts the standard API keys it issues; "" means
	// credential.DefaultKeyPrefix. It must be the store's (Store.KeyPrefix).
	KeyPrefix string
	// MagicLifetime is how long a magic-session code lasts; default
	// DefaultMagicLifetime.
	MagicLifetime time.Duration
}

// New returns a Service over store, on the system clock.
func New(store keygate.Store) *Service {
	return &Service{Store: store, Now: time.Now}
}

// now returns the current time as it is stored: UTC, to the microsecond
// (PostgreSQL keeps no finer), so that what is returned equals what is read
// back.
func (s *Service) now() time.Time {
	return s.Now().UTC().Truncate(time.Microsecond)
}

// Scope says on whose behalf a use case runs. The zero Scope allows
// nothing.
type Scope struct {
	accountID string
	operator  bool
	// delegated scopes (DelegatedScope) are bounded by a credential's
	// permissions and expiry.
	delegated bool
	self      string // the delegated credential's own ID
	perms     keygate.PermissionSet
	expiresAt time.Time
	// actor is whom the audit log names (As); see Actor for the default.
	actor keygate.Actor
}

// AccountScope acts for one account: entities of any other account are
// not found.
func AccountScope(accountID string) Scope { return Scope{accountID: accountID} }

// OperatorScope acts for the operator, across accounts, as the CLI does.
func OperatorScope() Scope { return Scope{operator: true} }

// allows reports whether the scope may see an entity of accountID.
func (sc Scope) allows(accountID string) bool {
	return sc.operator || sc.accountID != "" && sc.accountID == accountID
}

// changed reports a committed change of a credential, which wrote events.
func (s *Service) changed(id string) {
	if s.Changed != nil {
		s.Changed(id)
	}
	s.wake()
}

// wake tells the dispatcher that events were written.
func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// emit writes an event about entityID of an account, with data (shown as
// the API shows it) as its snapshot, and a notification of it for every
// destination of the account that wants it: the event and its deliveries
// commit together with the change, or not at all.
func emit(ctx context.Context, tx keygate.Tx, accountID string, env keygate.Environment, typ keygate.EventType, entityID string, data any, now time.Time) error {
	_, err := emitEvent(ctx, tx, accountID, env, typ, entityID, data, now)
	return err
}

// emitEvent is emit, returning the event written.
func emitEvent(ctx context.Context, tx keygate.Tx, accountID string, env keygate.Environment, typ keygate.EventType, entityID string, data any, now time.Time) (*keygate.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("snapshot for %s: %w", typ, err)
	}
	e := &keygate.Event{
		ID: credential.NewID("evt", now), AccountID: accountID, Environment: env,
		Type: typ, EntityID: entityID, OccurredAt: now, Data: b,
	}
	if err := tx.CreateEvent(ctx, e); err != nil {
		return nil, err
	}
	settings, err := activeSettings(ctx, tx, accountID)
	if err != nil {
		return nil, err
	}
	return e, notifyAll(ctx, tx, e, settings, now)
}

// activeSettings returns every active destination of an account.
func activeSettings(ctx context.Context, tx keygate.Tx, accountID string) ([]*keygate.NotificationSetting, error) {
	active := true
	f := keygate.NotificationSettingFilter{AccountID: accountID, Active: &active, Page: keygate.Page{Limit: keygate.MaxPageSize, SkipCount: true}}
	var all []*keygate.NotificationSetting
	for {
		settings, _, err := tx.FindNotificationSettings(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, settings...)
		if len(settings) < f.Limit {
			return all, nil
		}
		f.After = settings[len(settings)-1].ID
	}
}

// notifyAll writes a notification of e for each of settings that wants it.
func notifyAll(ctx context.Context, tx keygate.Tx, e *keygate.Event, settings []*keygate.NotificationSetting, now time.Time) error {
	for _, s := range settings {
		if !s.Wants(e.Type) {
			continue
		}
		if err := tx.CreateNotification(ctx, newNotification(e, s.ID, keygate.OriginEvent, now)); err != nil {
			return err
		}
	}
	return nil
}

// newNotification makes a notification of event e for destination
// settingID, due at once, with its body fixed now.
func newNotification(e *keygate.Event, settingID string, origin keygate.NotificationOrigin, now time.Time) *keygate.Notification {
	id := credential.NewID("ntf", now)
	payload, _ := json.Marshal(wire.Webhook{ // a struct of strings and raw JSON always marshals
		EventID: e.ID, EventType: string(e.Type), OccurredAt: wire.Time(e.OccurredAt), NotificationID: id, Data: e.Data,
	})
	return &keygate.Notification{
		ID: id, AccountID: e.AccountID, Environment: e.Environment, SettingID: settingID, EventID: e.ID, Type: e.Type,
		Status: keygate.NotificationNotAttempted, Origin: origin, Payload: payload, OccurredAt: e.OccurredAt,
		RetryAt: &now, CreatedAt: now,
	}
}
