package app

import (
	"context"
	"slices"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// SpendCredits charges keys the credits their requests spent, as one node's
// verifier counted them since its last share (a spend of 0 only reads the
// balance), in one transaction: each balance is refilled first if a refill
// came due, never goes below zero, and api_key.usage_threshold is written
// for each threshold it crosses. It returns each key's credits after, nil
// for a key that has none (or no longer exists). It records no change: the
// nodes learn balances by sharing, not through the change feed.
func (s *Service) SpendCredits(ctx context.Context, spends []keygate.CreditSpend) ([]keygate.CreditBalance, error) {
	now := s.now()
	spends = slices.Clone(spends) // rows are locked in ID order: no deadlock between nodes
	slices.SortFunc(spends, func(a, b keygate.CreditSpend) int { return strings.Compare(a.APIKeyID, b.APIKeyID) })
	out := make([]keygate.CreditBalance, 0, len(spends))
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		out = out[:0]
		for _, sp := range spends {
			k, crossed, err := keygate.SpendCredits(ctx, tx, sp, now)
			if err != nil {
				return err
			}
			out = append(out, keygate.CreditBalance{APIKeyID: sp.APIKeyID})
			if k == nil || k.Credits == nil {
				continue
			}
			c := *k.Credits
			out[len(out)-1].Credits = &c
			for _, t := range crossed {
				data := wire.UsageThreshold{Threshold: t, Remaining: c.Remaining, Granted: c.Granted, APIKey: wire.NewAPIKey(k, now)}
				if err := emit(ctx, tx, k.AccountID, k.Environment, keygate.EventUsageThreshold, k.ID, data, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return out, nil
}
