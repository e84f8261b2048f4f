package dashboard

import (
	"time"

	"github.com/keygate/keygate"
)

// rowAction is one item of a key row's "…" menu: a link (GET) or a button
// that posts the row's CSRF token (Post), shown when Show says so.
type rowAction struct {
	Label string
	// Path is the item's target under the key: "/authentication/api-keys/{id}" + Path.
	Path string
	Post bool
	// Danger styles the item as destructive.
	Danger bool
	Show   func(k *keygate.APIKey, now time.Time) bool
}

// rowActions are the items of every key row's menu, in order. Adding an
// item is one line here; its page is a route in routes.
var rowActions = []rowAction{
	{Label: "Edit", Path: "/edit", Show: func(k *keygate.APIKey, now time.Time) bool { return k.StatusAt(now) == keygate.APIKeyActive }},
	{Label: "Reactivate", Path: "/reactivate", Post: true, Show: func(k *keygate.APIKey, now time.Time) bool { return k.CanReactivate(now) == nil }},
	{Label: "Rotate", Path: "/rotate", Show: canRotate},
	{Label: "View exposures", Path: "/exposures", Show: func(k *keygate.APIKey, now time.Time) bool { return !k.Legacy }},
	{Label: "Revoke", Path: "/revoke", Danger: true, Show: func(k *keygate.APIKey, now time.Time) bool { return k.StatusAt(now) == keygate.APIKeyActive }},
}

// menuItem is a rowAction as one row shows it.
type menuItem struct {
	Label, Href  string
	Post, Danger bool
}

// menuOf returns the menu items of k at now.
func menuOf(k *keygate.APIKey, now time.Time) []menuItem {
	var items []menuItem
	for _, a := range rowActions {
		if a.Show(k, now) {
			items = append(items, menuItem{Label: a.Label, Href: "/authentication/api-keys/" + k.ID + a.Path, Post: a.Post, Danger: a.Danger})
		}
	}
	return items
}

// notices confirm a change after its redirect (?done=…&key=…): fixed texts,
// so a link can't make the page say anything else. %s is the key's name.
var notices = map[string]string{
	"created":     "“%s” was created.",
	"saved":       "Your changes to “%s” were saved.",
	"revoked":     "“%s” was revoked. Requests with it now fail; you can reactivate it from its menu for 60 minutes.",
	"reactivated": "“%s” was reactivated and works again.",
	"rotated":     "“%s” was rotated.",
}
