package sqlstore

import (
	"context"

	"github.com/keygate/keygate"
)

// CreateEvent implements keygate.Tx.
func (tx *Tx) CreateEvent(ctx context.Context, e *keygate.Event) error {
	if tx.flusher != nil {
		tx.events = append(tx.events, e) // written with the next statement
		return nil
	}
	return tx.exec(ctx, "CreateEvent", "", e.ID, e.AccountID, string(e.Environment), string(e.Type), e.EntityID, utc(e.OccurredAt), string(e.Data))
}

// FindEvents implements keygate.Tx.
func (tx *Tx) FindEvents(ctx context.Context, f keygate.EventFilter) ([]*keygate.Event, int, error) {
	return findPage(tx, ctx, "FindEvents", f.AccountID, f.Page, scanEvent, f.AccountID, jsonList(f.Types), f.EntityID)
}

func scanEvent(s scanner) (*keygate.Event, error) {
	var e keygate.Event
	var env, typ string
	var data []byte
	if err := s.Scan(&e.ID, &e.AccountID, &env, &typ, &e.EntityID, &e.OccurredAt, &data); err != nil {
		return nil, err
	}
	e.Environment, e.Type, e.Data = keygate.Environment(env), keygate.EventType(typ), data
	e.OccurredAt = utc(e.OccurredAt)
	return &e, nil
}
