package app

import (
	"context"

	"github.com/keygate/keygate"
)

// ListEvents lists the events of the scope's account (or, for the
// operator, of f.AccountID).
func (s *Service) ListEvents(ctx context.Context, sc Scope, f keygate.EventFilter) ([]*keygate.Event, int, error) {
	if !sc.operator {
		f.AccountID = sc.accountID
	}
	var list []*keygate.Event
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAccount(ctx, tx, sc, f.AccountID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindEvents(ctx, f)
		return err
	})
	return list, total, err
}
