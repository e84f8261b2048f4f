package app

import (
	"strings"
	"time"

	"github.com/keygate/keygate"
)

// DelegatedScope acts for an account as one of its credentials, which holds
// perms and expires at expiresAt (zero: never). What it creates or edits
// never exceeds it: a key it creates or edits has only permissions it holds
// and expires no later than it does, and it creates client-side tokens only
// if it holds what they grant (keygate.ClientTokenPermissions).
//
// credentialID is the credential itself: a key may always rotate itself
// (Paddle's rotations), but it rotates another key, and so receives its new
// secret, only if that key is no stronger and lives no longer than itself.
func DelegatedScope(accountID, credentialID string, perms keygate.PermissionSet, expiresAt time.Time) Scope {
	return Scope{accountID: accountID, delegated: true, self: credentialID, perms: perms, expiresAt: expiresAt}
}

// checkRotate refuses (CodeForbidden) the rotation of k by a delegated
// scope that is not k itself, when k, with the expiry the rotation gives
// it, would be stronger or live longer than the scope's credential: the
// rotation hands over k's new secret.
func (sc Scope) checkRotate(k *keygate.APIKey, newExpiry *time.Time) error {
	if !sc.delegated || sc.self == k.ID {
		return nil
	}
	if k.Permissions == nil {
		return keygate.Errorf(keygate.CodeForbidden, "A key can only rotate keys whose permissions it holds itself; this key has full access.")
	}
	if err := sc.checkGrant(k.Permissions); err != nil {
		return keygate.Errorf(keygate.CodeForbidden, "A key can only rotate keys whose permissions it holds itself. %s", keygate.ErrorMessage(err))
	}
	exp := k.ExpiresAt
	if newExpiry != nil {
		exp = newExpiry
	}
	if !sc.expiresAt.IsZero() && (exp == nil || exp.After(sc.expiresAt)) {
		return keygate.Errorf(keygate.CodeForbidden, "A key can only rotate keys that expire no later than itself, at %s.", sc.expiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkGrant refuses (CodeForbidden) permissions the scope does not hold.
func (sc Scope) checkGrant(ps []keygate.Permission) error {
	if !sc.delegated {
		return nil
	}
	var missing []string
	for _, p := range ps {
		if want := keygate.NewPermissionSet([]keygate.Permission{p}); want&^sc.perms != 0 {
			missing = append(missing, string(p))
		}
	}
	if len(missing) > 0 {
		return keygate.Errorf(keygate.CodeForbidden, "A key can only grant permissions it holds itself; this one does not hold %s.", strings.Join(missing, ", "))
	}
	return nil
}

// limitExpiry returns the expiry of a key the scope creates: the one asked
// for, which must be no later than the scope's own (CodeForbidden), or by
// default the default lifetime, cut to the scope's own expiry.
func (sc Scope) limitExpiry(asked *time.Time, now time.Time) (*time.Time, error) {
	if !sc.delegated || sc.expiresAt.IsZero() {
		return asked, nil
	}
	if asked == nil {
		exp := now.Add(keygate.DefaultKeyLifetime)
		if exp.After(sc.expiresAt) {
			exp = sc.expiresAt
		}
		return &exp, nil
	}
	if asked.After(sc.expiresAt) {
		return nil, keygate.Errorf(keygate.CodeForbidden, "A key can only create keys that expire no later than itself, at %s.", sc.expiresAt.UTC().Format(time.RFC3339))
	}
	return asked, nil
}
