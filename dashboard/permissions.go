package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keygate/keygate"
)

// keyManagement is keygate's own permission to create and change keys by
// API. A key that holds it can mint keys, so it is never part of "All" and
// the picker warns about it.
const keyManagement = keygate.Permission("api_key.write")

// entityNames are the plain names of the permissions' entities.
var entityNames = map[string]string{
	"address": "Addresses", "adjustment": "Adjustments", "api_key": "API keys", "audit_log": "Audit log", "business": "Businesses",
	"checkout_domain": "Checkout domains", "client_token": "Client-side tokens", "customer": "Customers",
	"customer_auth_token": "Customer authentication tokens", "customer_portal_session": "Customer portal sessions",
	"discount": "Discounts", "notification": "Notifications", "notification_setting": "Notification settings",
	"notification_simulation": "Notification simulations", "payment_method": "Payment methods", "price": "Prices",
	"product": "Products", "report": "Reports", "subscription": "Subscriptions", "transaction": "Transactions",
}

// entityName is the plain name of an entity: "Customers" for "customer".
func entityName(e string) string {
	if n, ok := entityNames[e]; ok {
		return n
	}
	return strings.ReplaceAll(e, "_", " ")
}

// plainName is a permission as people read it: "Customers: read".
func plainName(p keygate.Permission) string {
	_, kind, _ := strings.Cut(string(p), ".")
	return entityName(p.Entity()) + ": " + kind
}

// isRead reports whether p is a read permission.
func isRead(p keygate.Permission) bool { return strings.HasSuffix(string(p), ".read") }

// inAll reports whether p is part of the "All" shortcut: every permission
// but key management.
func inAll(p keygate.Permission) bool { return p != keyManagement }

// permissionSummary is how a list shows a key's permissions: a short label,
// and the plain names behind it.
type permissionSummary struct {
	Label string
	Names []string
}

// summarize returns the summary of a key's permissions: "All" when it holds
// every permission of "All" (write implies read), "Read all" when it holds
// every read permission and no write, else "N permissions".
func summarize(k *keygate.APIKey) permissionSummary {
	if k.Legacy {
		return permissionSummary{Label: "All (legacy key)", Names: []string{"Every permission: legacy keys have no permission list."}}
	}
	names := make([]string, len(k.Permissions))
	for i, p := range k.Permissions {
		names[i] = plainName(p)
	}
	set := keygate.NewPermissionSet(k.Permissions)
	all, reads, writes := true, true, false
	for _, p := range keygate.Permissions {
		if inAll(p) && !set.Has(p) {
			all = false
		}
		if isRead(p) && !set.Has(p) {
			reads = false
		}
		if !isRead(p) && slices.Contains(k.Permissions, p) {
			writes = true
		}
	}
	switch {
	case all && slices.Contains(k.Permissions, keyManagement):
		return permissionSummary{Label: "All + key management", Names: names}
	case all:
		return permissionSummary{Label: "All", Names: names}
	case reads && !writes:
		return permissionSummary{Label: "Read all", Names: names}
	case len(names) == 1:
		return permissionSummary{Label: names[0], Names: names}
	}
	return permissionSummary{Label: strconv.Itoa(len(names)) + " permissions", Names: names}
}

// permissionGroup is a row of the picker: an entity with its read and
// write permissions (either may not exist).
type permissionGroup struct {
	Entity, Name        string
	Read, Write         keygate.Permission
	ReadName, WriteName string
	HasRead, HasWrite   bool
	// Dangerous marks key management, which the picker warns about.
	Dangerous bool
}

// permissionGroups lays Permissions out by entity, marking those in have.
func permissionGroups(have []keygate.Permission) []permissionGroup {
	var groups []permissionGroup
	for _, p := range keygate.Permissions {
		e := p.Entity()
		if len(groups) == 0 || groups[len(groups)-1].Entity != e {
			groups = append(groups, permissionGroup{Entity: e, Name: entityName(e)})
		}
		g := &groups[len(groups)-1]
		if isRead(p) {
			g.Read, g.ReadName, g.HasRead = p, plainName(p), slices.Contains(have, p)
		} else {
			g.Write, g.WriteName, g.HasWrite = p, plainName(p), slices.Contains(have, p)
			g.Dangerous = g.Dangerous || p == keyManagement
		}
	}
	return groups
}

// formPermissions reads the picker: the ticked permissions, and the
// shortcuts "All read" (all=read), "All write" (all=write) and "All"
// (all=all). Key management is only ever taken from its own box.
func formPermissions(r *http.Request) []keygate.Permission {
	var ps []keygate.Permission
	all, ticked := r.PostForm["all"], r.PostForm["permissions"]
	for _, p := range keygate.Permissions {
		byShortcut := inAll(p) && (slices.Contains(all, "all") ||
			isRead(p) && slices.Contains(all, "read") || !isRead(p) && slices.Contains(all, "write"))
		if byShortcut || slices.Contains(ticked, string(p)) {
			ps = append(ps, p)
		}
	}
	return ps
}
