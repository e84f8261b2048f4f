package keygate

import (
	"slices"
	"time"
)

// APIKeyCreate is what creating an API key takes.
type APIKeyCreate struct {
	Name        string
	Description *string
	Permissions []Permission
	// ExpiresAt is the expiry; nil means DefaultKeyLifetime from now.
	ExpiresAt *time.Time
	Rotatable bool
	// AllowedIPs, RateLimit and Credits are the key's controls (see
	// key_controls.go); empty or nil for none.
	AllowedIPs []string
	RateLimit  *RateLimit
	Credits    *CreditsSet
}

// Validate checks c at now and returns it normalised: an empty description
// becomes nil, permissions are de-duplicated in Paddle's order, and the
// default expiry is filled in. Expiry must be in the future and at most one
// year away.
func (c APIKeyCreate) Validate(now time.Time) (APIKeyCreate, error) {
	var v validation
	validateText(&v, "name", c.Name, 1, KeyNameMaxLen)
	c.Description = validateDescription(&v, c.Description)
	c.Permissions = validatePermissions(&v, c.Permissions)
	validateRateLimit(&v, c.RateLimit)
	validateCredits(&v, c.Credits)
	parseAllowedIPs(&v, c.AllowedIPs)
	if c.ExpiresAt == nil {
		exp := now.Add(DefaultKeyLifetime)
		c.ExpiresAt = &exp
	} else if !c.ExpiresAt.After(now) {
		v.add("expires_at", "must be in the future")
	} else if c.ExpiresAt.After(MaxKeyExpiry(now)) {
		v.add("expires_at", "must be no more than one year from now")
	}
	return c, v.err()
}

// APIKeyUpdate is a change to an API key. A nil field is left as it is. An
// update never changes a key's expiry.
type APIKeyUpdate struct {
	Name *string
	// Description replaces the description; a pointer to "" clears it.
	Description *string
	Permissions *[]Permission
	// AllowedIPs replaces the allowlist; a pointer to an empty list clears
	// it.
	AllowedIPs *[]string
	// RateLimit replaces the rate limit; a pointer to nil clears it.
	RateLimit **RateLimit
	// Credits sets the balance anew (and its refill); a pointer to nil
	// clears it (unlimited).
	Credits **CreditsSet
}

// Apply validates u and applies it to k at now. An expired key can't be
// edited (CodeConflict), nor can a legacy key's permissions (it has none to
// edit: CodeInvalidField). It reports whether anything changed; when nothing
// did, k is untouched and no event is due.
func (k *APIKey) Apply(now time.Time, u APIKeyUpdate) (changed bool, err error) {
	if k.StatusAt(now) == APIKeyExpired {
		return false, Errorf(CodeConflict, "API key %s has expired and can't be edited.", k.ID)
	}
	var v validation
	next := *k
	if u.Name != nil {
		validateText(&v, "name", *u.Name, 1, KeyNameMaxLen)
		next.Name = *u.Name
	}
	if u.Description != nil {
		next.Description = validateDescription(&v, u.Description)
	}
	if u.Permissions != nil {
		if k.Legacy {
			v.add("permissions", "legacy keys have no permissions to edit")
		}
		next.Permissions = validatePermissions(&v, *u.Permissions)
	}
	controls := next.applyControls(&v, now, u)
	if err := v.err(); err != nil {
		return false, err
	}
	if !controls && next.Name == k.Name && equalStringPtr(next.Description, k.Description) && equalPermissions(next.Permissions, k.Permissions) {
		return false, nil
	}
	next.UpdatedAt = now
	*k = next
	return true, nil
}

// applyControls applies the controls of u to k at now, reporting whether
// any changed. Setting credits always changes them: it sets the balance
// anew.
func (k *APIKey) applyControls(v *validation, now time.Time, u APIKeyUpdate) (changed bool) {
	if u.AllowedIPs != nil {
		ips := parseAllowedIPs(v, *u.AllowedIPs)
		changed = !slices.Equal(ips, k.AllowedIPs)
		k.AllowedIPs = ips
	}
	if u.RateLimit != nil {
		validateRateLimit(v, *u.RateLimit)
		if a, b := *u.RateLimit, k.RateLimit; (a == nil) != (b == nil) || a != nil && *a != *b {
			changed = true
		}
		k.RateLimit = *u.RateLimit
	}
	if u.Credits != nil {
		validateCredits(v, *u.Credits)
		changed = changed || *u.Credits != nil || k.Credits != nil
		k.Credits = nil
		if c := *u.Credits; c != nil {
			k.Credits = NewCredits(*c, now)
		}
	}
	return changed
}

// validateDescription checks a description and returns nil for an empty one.
func validateDescription(v *validation, d *string) *string {
	if d == nil || *d == "" {
		return nil
	}
	validateText(v, "description", *d, 1, KeyDescriptionMaxLen)
	return d
}

func equalStringPtr(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func equalPermissions(a, b []Permission) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LegacyKeyImport is what importing a legacy key takes; the key itself is
// checked by its format.
type LegacyKeyImport struct {
	Name string
}

// Validate checks the import.
func (c LegacyKeyImport) Validate() error {
	var v validation
	validateText(&v, "name", c.Name, 1, KeyNameMaxLen)
	return v.err()
}
