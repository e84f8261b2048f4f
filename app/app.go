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

// changed reports a committed change of a credential.
func (s *Service) changed(id string) {
	if s.Changed != nil {
		s.Changed(id)
	}
}

// emit writes an event about entityID of account a, with data (shown as the
// API shows it) as its snapshot.
func emit(ctx context.Context, tx keygate.Tx, accountID string, env keygate.Environment, typ keygate.EventType, entityID string, data any, now time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("snapshot for %s: %w", typ, err)
	}
	return tx.CreateEvent(ctx, &keygate.Event{
		ID: credential.NewID("evt", now), AccountID: accountID, Environment: env,
		Type: typ, EntityID: entityID, OccurredAt: now, Data: b,
	})
}
