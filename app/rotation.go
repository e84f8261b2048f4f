package app

import (
	"context"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// RotateAPIKey issues a new secret for a rotatable key and returns the
// pending rotation with the full new key, which exists nowhere else. The
// old secret keeps working until the new one is first used (see
// CompleteRotation), then for the grace period. A pending rotation of the
// key is canceled and a running grace period ends now. It writes
// api_key_rotation.updated for each of those and api_key_rotation.created,
// in the same transaction. Callers decide who may rotate: the API lets
// only the key itself.
func (s *Service) RotateAPIKey(ctx context.Context, sc Scope, id string, in keygate.APIKeyRotationCreate) (*keygate.APIKeyRotation, string, error) {
	now := s.now()
	if err := in.Validate(now); err != nil {
		return nil, "", err
	}
	var r *keygate.APIKeyRotation
	var token string
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		k, err := findAPIKey(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := k.CanRotate(now); err != nil {
			return err
		}
		if err := sc.checkRotate(k, in.NewKeyExpiresAt); err != nil {
			return err
		}
		if err := supersedeRotations(ctx, tx, k, now); err != nil {
			return err
		}
		if r, token, err = createRotation(ctx, tx, k, in, now); err != nil {
			return err
		}
		return record(ctx, tx, sc.Actor(), k.AccountID, k.Environment, keygate.AuditKeyRotated, k.ID, "rotation "+r.ID, now)
	})
	if err != nil {
		return nil, "", err
	}
	s.changed(r.APIKeyID)
	return r, token, nil
}

// supersedeRotations cancels k's pending rotation and ends its running
// grace period, with an event for each.
func supersedeRotations(ctx context.Context, tx keygate.Tx, k *keygate.APIKey, now time.Time) error {
	live, err := tx.FindLiveAPIKeyRotations(ctx, k.ID, now)
	if err != nil {
		return err
	}
	for _, old := range live {
		if !old.Supersede(now) {
			continue
		}
		if err := tx.UpdateAPIKeyRotation(ctx, old); err != nil {
			return err
		}
		if err := emit(ctx, tx, k.AccountID, k.Environment, keygate.EventRotationUpdated, old.ID, wire.NewAPIKeyRotationEvent(old), now); err != nil {
			return err
		}
	}
	return nil
}

// createRotation makes a pending rotation of k with a new secret.
func createRotation(ctx context.Context, tx keygate.Tx, k *keygate.APIKey, in keygate.APIKeyRotationCreate, now time.Time) (*keygate.APIKeyRotation, string, error) {
	env := credential.EnvFromName(string(k.Environment))
	nk := credential.RotateSecret(credential.Token{Kind: credential.KindAPIKey, ID: credential.IDBody(k.ID), Prefix: k.KeyPrefix}, env)
	r := &keygate.APIKeyRotation{
		ID: credential.NewID("apkrot", now), APIKeyID: k.ID, AccountID: k.AccountID, Environment: k.Environment,
		NewHash: nk.Hash[:], OldHash: k.SecretHash, GracePeriodSeconds: *in.GracePeriodSeconds,
		NewKeyExpiresAt: in.NewKeyExpiresAt, Status: keygate.RotationPending, CreatedAt: now, UpdatedAt: now,
		KeyPrefix: k.KeyPrefix,
	}
	if err := tx.CreateAPIKeyRotation(ctx, r); err != nil {
		return nil, "", err
	}
	return r, nk.Token, emit(ctx, tx, k.AccountID, k.Environment, keygate.EventRotationCreated, r.ID, wire.NewAPIKeyRotationEvent(r), now)
}

// CompleteRotation completes a pending rotation when its new secret first
// authenticated a request, on whichever node: the new secret becomes the
// key's and the old one stops after the grace period. It writes
// api_key_rotation.updated and, when the rotation set a new expiry,
// api_key.updated, in the same transaction. Of concurrent completions one
// writes and the others find it completed and return it as it is. A
// canceled rotation, or a key that is no longer active, is CodeInvalidToken:
// that new secret does not authenticate.
func (s *Service) CompleteRotation(ctx context.Context, apiKeyID, rotationID string) (*keygate.APIKeyRotation, error) {
	now := s.now()
	var r *keygate.APIKeyRotation
	var wrote bool
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		k, err := tx.FindAPIKeyByID(ctx, apiKeyID) // locks the key, so completions serialise
		if err != nil {
			return err
		}
		if r, err = tx.FindAPIKeyRotationByID(ctx, rotationID); err != nil {
			return err
		}
		switch {
		case r.APIKeyID != k.ID:
			return keygate.NotFound(rotationID)
		case r.Status == keygate.RotationCompleted:
			return nil
		case r.Status != keygate.RotationPending || k.StatusAt(now) != keygate.APIKeyActive:
			return keygate.Errorf(keygate.CodeInvalidToken, "Invalid or revoked API key.")
		}
		wrote = true
		return completeRotation(ctx, tx, k, r, now)
	})
	if err != nil {
		return nil, err
	}
	if wrote {
		s.changed(apiKeyID)
	}
	return r, nil
}

// completeRotation completes r of k and writes both, with their events.
func completeRotation(ctx context.Context, tx keygate.Tx, k *keygate.APIKey, r *keygate.APIKeyRotation, now time.Time) error {
	expiryChanged, err := r.Complete(now, k)
	if err != nil {
		return err
	}
	if err := tx.UpdateAPIKey(ctx, k); err != nil {
		return err
	}
	if err := tx.UpdateAPIKeyRotation(ctx, r); err != nil {
		return err
	}
	if err := emit(ctx, tx, k.AccountID, k.Environment, keygate.EventRotationUpdated, r.ID, wire.NewAPIKeyRotationEvent(r), now); err != nil {
		return err
	}
	if !expiryChanged {
		return nil
	}
	return emit(ctx, tx, k.AccountID, k.Environment, keygate.EventAPIKeyUpdated, k.ID, wire.NewAPIKey(k, now), now)
}

// ListAPIKeyRotations lists a key's rotations, newest first unless f asks
// otherwise; a key the scope may not see is CodeNotFound.
func (s *Service) ListAPIKeyRotations(ctx context.Context, sc Scope, f keygate.APIKeyRotationFilter) ([]*keygate.APIKeyRotation, int, error) {
	var list []*keygate.APIKeyRotation
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAPIKey(ctx, tx, sc, f.APIKeyID); err != nil {
			return err
		}
		var err error
		list, total, err = tx.FindAPIKeyRotations(ctx, f)
		return err
	})
	return list, total, err
}

// GetAPIKeyRotation returns one rotation of a key; a rotation of another
// key, or a key the scope may not see, is CodeNotFound.
func (s *Service) GetAPIKeyRotation(ctx context.Context, sc Scope, apiKeyID, id string) (*keygate.APIKeyRotation, error) {
	var r *keygate.APIKeyRotation
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		if _, err := findAPIKey(ctx, tx, sc, apiKeyID); err != nil {
			return err
		}
		if !credential.ValidID("apkrot", id) {
			return keygate.NotFound(id)
		}
		var err error
		if r, err = tx.FindAPIKeyRotationByID(ctx, id); err == nil && r.APIKeyID != apiKeyID {
			return keygate.NotFound(id)
		}
		return err
	})
	return r, err
}
