package keygate

import (
	"sort"
	"strings"
)

// Permission is what an API key may do: "<entity>.read" or "<entity>.write".
// A key with an entity's write permission also has its read permission.
type Permission string

// Permissions lists every permission keygate knows, in Paddle's order: the
// 32 values of Paddle's SDKs, api_key.read and checkout_domain.read|write
// from Paddle's current docs, and api_key.write and audit_log.read, which
// are keygate's own: they guard keygate's key-management extension (POST
// and PATCH /api-keys), which Paddle keeps in its dashboard, and its audit
// log (GET /audit-log), which Paddle lacks.
var Permissions = []Permission{
	"address.read", "address.write",
	"adjustment.read", "adjustment.write",
	"api_key.read", "api_key.write",
	"audit_log.read",
	"business.read", "business.write",
	"checkout_domain.read", "checkout_domain.write",
	"client_token.read", "client_token.write",
	"customer.read", "customer.write",
	"customer_auth_token.write",
	"customer_portal_session.write",
	"discount.read", "discount.write",
	"notification.read", "notification.write",
	"notification_setting.read", "notification_setting.write",
	"notification_simulation.read", "notification_simulation.write",
	"payment_method.read", "payment_method.write",
	"price.read", "price.write",
	"product.read", "product.write",
	"report.read", "report.write",
	"subscription.read", "subscription.write",
	"transaction.read", "transaction.write",
}

// permissionBits maps each permission to its bit in a PermissionSet.
var permissionBits = func() map[Permission]PermissionSet {
	m := make(map[Permission]PermissionSet, len(Permissions))
	for i, p := range Permissions {
		m[p] = 1 << i
	}
	return m
}()

// Entity returns the entity part of p ("customer" for "customer.read").
func (p Permission) Entity() string {
	e, _, _ := strings.Cut(string(p), ".")
	return e
}

// Known reports whether p is one of Permissions.
func (p Permission) Known() bool {
	_, ok := permissionBits[p]
	return ok
}

// PermissionSet is a set of permissions as a bit mask, for checks that cost
// one AND on the hot path. A set built by NewPermissionSet already holds the
// read permission of every write permission in it.
type PermissionSet uint64

// ClientTokenPermissions are what a client-side token can do (price and
// transaction previews, checkout): the permissions of the routes the
// default route map opens to client-side tokens. A key creates client-side
// tokens only if it holds these.
var ClientTokenPermissions = []Permission{"transaction.read"}

// AllPermissionSet holds every permission; legacy and partner keys have it.
var AllPermissionSet = NewPermissionSet(Permissions)

// NewPermissionSet returns the set of ps, with each write permission's read
// permission added. Unknown permissions are ignored.
func NewPermissionSet(ps []Permission) PermissionSet {
	var s PermissionSet
	for _, p := range ps {
		s |= permissionBits[p]
		if e, ok := strings.CutSuffix(string(p), ".write"); ok {
			s |= permissionBits[Permission(e+".read")]
		}
	}
	return s
}

// Has reports whether s holds p. An unknown p is never held.
func (s PermissionSet) Has(p Permission) bool {
	b, ok := permissionBits[p]
	return ok && s&b != 0
}

// HasBit reports whether s holds every permission of bits; with a bit
// obtained once from PermissionBit it avoids the map lookup of Has.
func (s PermissionSet) HasBit(bits PermissionSet) bool { return bits != 0 && s&bits == bits }

// PermissionBit returns the bit of p, or 0 if p is unknown.
func PermissionBit(p Permission) PermissionSet { return permissionBits[p] }

// validatePermissions checks that ps holds at least one permission and only
// known ones, and returns them without duplicates in Paddle's order.
func validatePermissions(v *validation, ps []Permission) []Permission {
	if len(ps) == 0 {
		v.add("permissions", "must contain at least one permission")
		return nil
	}
	seen := map[Permission]bool{}
	var out []Permission
	for _, p := range ps {
		if !p.Known() {
			v.add("permissions", "unknown permission %q", string(p))
			continue
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return permissionBits[out[i]] < permissionBits[out[j]] })
	return out
}

// ParsePermissions splits a comma-separated list of permissions, as the CLI
// and query strings take them. "all" stands for every permission. It does
// not validate; the rules that take the result do.
func ParsePermissions(s string) []Permission {
	if strings.TrimSpace(s) == "all" {
		return append([]Permission(nil), Permissions...)
	}
	var out []Permission
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, Permission(f))
		}
	}
	return out
}
