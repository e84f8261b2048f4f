package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// rotation is the part of a key's record that only a key in the middle of a
// rotation has: its second secret. It hangs off the record by a pointer, so
// that the records of keys that never rotate stay as small as they were.
// Like the record, it is never changed once cached: a change to the
// rotation reloads the record.
type rotation struct {
	// pendingID is the pending rotation ("apkrot_…"), "" if none; its new
	// secret's hash is pendingHash. Its first use completes it.
	pendingID   string
	pendingHash [sha256.Size]byte
	// oldHash is the secret a completed rotation replaced, which works
	// until oldUntil (Unix nanoseconds); oldUntil is 0 if there is none.
	oldHash  [sha256.Size]byte
	oldUntil int64
}

// loadRotation reads the live rotations of a rotatable key into its
// record; a key with none keeps a nil rotation. A cache miss may read
// outside a transaction (keygate.DirectReader), so the key is read again
// after its rotations: a completion that committed in between changed the
// key's secret, and the reads are retried until they agree.
func loadRotation(ctx context.Context, tx keygate.Tx, k *keygate.APIKey, now int64) (*record, error) {
	rec := newRecord(k)
	if !k.Rotatable {
		return rec, nil
	}
	for attempt := 0; ; attempt++ {
		live, err := tx.FindLiveAPIKeyRotations(ctx, k.ID, time.Unix(0, now).UTC())
		if err != nil {
			return nil, err
		}
		again, err := tx.FindAPIKeyCredential(ctx, k.ID)
		if err != nil {
			return nil, err
		}
		rec = newRecord(again)
		if string(again.SecretHash) == string(k.SecretHash) || attempt == 4 {
			if rot := newRotation(live); rot != nil {
				rec.rareState().rot = rot
			}
			return rec, nil
		}
		k = again
	}
}

// newRotation makes the rotation part of a record from a key's live
// rotations; nil if there are none.
func newRotation(live []*keygate.APIKeyRotation) *rotation {
	if len(live) == 0 {
		return nil
	}
	rot := &rotation{}
	for _, r := range live {
		switch {
		case r.Status == keygate.RotationPending:
			rot.pendingID = r.ID
			copy(rot.pendingHash[:], r.NewHash)
		case r.ExpiresAt != nil:
			copy(rot.oldHash[:], r.OldHash)
			rot.oldUntil = r.ExpiresAt.UnixNano()
		}
	}
	return rot
}

// rotated decides a token of a key in rotation whose secret (hashed to
// hash) is not the key's current one: the old secret of a completed
// rotation works until its grace ends, evaluated now on every request
// whatever the cache holds; the new secret of a pending rotation completes
// it (once, on whichever node sees it first) and then works. Anything else
// is ErrInvalidToken. The check digits are verified here, never cached: they
// differ from the current secret's.
func (v *Verifier) rotated(ctx context.Context, rec *record, token string, hash [sha256.Size]byte, now int64, perm keygate.PermissionSet, ip netip.Addr) (Principal, error) {
	rot := rec.rot()
	old := subtle.ConstantTimeCompare(hash[:], rot.oldHash[:]) == 1 && rot.oldUntil != 0
	pending := subtle.ConstantTimeCompare(hash[:], rot.pendingHash[:]) == 1 && rot.pendingID != ""
	body, check := token[:len(token)-credential.CheckLen-1], token[len(token)-credential.CheckLen:]
	switch {
	case !credential.ValidCheck(body, check):
	case old && now < rot.oldUntil:
		return v.decide(rec, now, perm, ip)
	case pending && rec.usable(now):
		if err := v.complete(ctx, rec.credentialID, rot.pendingID); err != nil {
			if keygate.ErrorCode(err) != keygate.CodeInvalidToken {
				v.Metrics.result(resultError)
				return Principal{}, err
			}
			break
		}
		return v.decide(rec, now, perm, ip)
	}
	v.Metrics.result(resultInvalid)
	return Principal{}, ErrInvalidToken
}

// complete completes a pending rotation through Config.CompleteRotation;
// concurrent first uses on this node share one call. Without the hook no
// pending secret is accepted.
func (v *Verifier) complete(ctx context.Context, keyID, rotationID string) error {
	if v.cfg.CompleteRotation == nil {
		return keygate.Errorf(keygate.CodeInvalidToken, "Invalid or revoked API key.")
	}
	_, err, _ := v.group.Do("rotation:"+rotationID, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.LoadTimeout)
		defer cancel()
		return nil, v.cfg.CompleteRotation(ctx, keyID, rotationID)
	})
	if err == nil {
		v.Invalidate(keyID) // the record reloads with the rotation completed
	}
	return err
}
