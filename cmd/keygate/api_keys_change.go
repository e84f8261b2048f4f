package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

// runAPIKeysUpdate changes the name, description, permissions or controls
// of a key; only the flags given change anything. The expiry can't be
// changed.
func runAPIKeysUpdate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys update", "ID [--name N] [--description D] [--permissions P] [--allowed-ips CIDRS] [--rate-limit N/s|m|h|none] [--credits N|none [--credits-refill N/day|month]] [--json]").withJSON()
	name := c.fs.String("name", "", "new name")
	description := c.fs.String("description", "", `new description ("" clears it)`)
	perms := c.fs.String("permissions", "", `new comma-separated permissions, or "all"; replaces the old ones`)
	controls := addControlFlags(c)
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	var u keygate.APIKeyUpdate
	if err := controls.apply(c, &u); err != nil {
		return err
	}
	if c.set("name") {
		u.Name = name
	}
	if c.set("description") {
		u.Description = description
	}
	if c.set("permissions") {
		ps := keygate.ParsePermissions(*perms)
		u.Permissions = &ps
	}
	if u.Name == nil && u.Description == nil && u.Permissions == nil && u.AllowedIPs == nil && u.RateLimit == nil && u.Credits == nil {
		return usageError("nothing to update: give --name, --description, --permissions, --allowed-ips, --rate-limit or --credits")
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	k, err := svc.UpdateAPIKey(ctx, app.OperatorScope(), pos[0], u)
	if err != nil {
		return err
	}
	return c.printKey(k, svc.Now())
}

// runAPIKeysImportLegacy imports a pre-2025 legacy key, read from standard
// input, so that it keeps working with full access until revoked.
func runAPIKeysImportLegacy(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys import-legacy", "--account ACC --name NAME --key-stdin [--json]").withJSON()
	account := c.fs.String("account", "", "the account's ID (acc_…)")
	name := c.fs.String("name", "", "a name for the key")
	fromStdin := c.fs.Bool("key-stdin", false, "read the legacy key from the first line of standard input")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("account", "name"); err != nil {
		return err
	}
	if !*fromStdin {
		return usageError("the key is read from standard input: give --key-stdin")
	}
	key, err := readLine(e)
	if err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	k, err := svc.ImportLegacyKey(ctx, app.OperatorScope(), *account, *name, strings.TrimSpace(key))
	if err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(e.stderr, "Imported legacy key %s with full access and no expiry; replace it with a standard key when you can.\n", k.ID)
	}
	return c.printKey(k, svc.Now())
}
