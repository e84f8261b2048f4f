package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// runAPIKeysCreate creates a key and prints the full key, once. Without
// --json the key alone goes to stdout (for scripts) and a reminder to
// stderr; with --json, the entity as the API shows it, except that key
// holds the full key this one time.
func runAPIKeysCreate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys create", "--account ACC --name NAME --permissions all|p1,p2 [--description D] [--expires-at RFC3339] [--rotatable] [--allowed-ips CIDRS] [--rate-limit N/s|m|h] [--credits N [--credits-refill N/day|month]] [--json]").withJSON()
	account := c.fs.String("account", "", "the account's ID (acc_…)")
	name := c.fs.String("name", "", "the key's name, 1 to 150 characters")
	description := c.fs.String("description", "", "what the key is for, up to 250 characters")
	perms := c.fs.String("permissions", "", `comma-separated permissions (customer.read,price.write), or "all"`)
	expiresAt := c.fs.String("expires-at", "", "expiry as RFC 3339 (default: 90 days from now; at most one year)")
	rotatable := c.fs.Bool("rotatable", false, "allow the key to rotate its own secret")
	controls := addControlFlags(c)
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("account", "name", "permissions"); err != nil {
		return err
	}
	in := keygate.APIKeyCreate{Name: *name, Permissions: keygate.ParsePermissions(*perms), Rotatable: *rotatable}
	if err := controls.create(c, &in); err != nil {
		return err
	}
	if *description != "" {
		in.Description = description
	}
	if *expiresAt != "" {
		t, err := time.Parse(time.RFC3339, *expiresAt)
		if err != nil {
			return usageError(fmt.Sprintf("--expires-at: %q is not an RFC 3339 time such as 2027-01-31T00:00:00Z", *expiresAt))
		}
		in.ExpiresAt = &t
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	k, token, err := svc.CreateAPIKey(ctx, app.OperatorScope(), *account, in)
	if err != nil {
		return err
	}
	if c.json {
		w := wire.NewAPIKey(k, svc.Now())
		w.Key = token
		return printJSON(e.stdout, w)
	}
	fmt.Fprintln(e.stdout, token)
	fmt.Fprintf(e.stderr, "Created %s, expiring %s. This is the only time the key is shown: store it now.\n", k.ID, formatTime(k.ExpiresAt))
	return nil
}

func runAPIKeysList(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys list", "--account ACC [--status active,expired,revoked] [--json]").withJSON()
	account := c.fs.String("account", "", "the account's ID (acc_…)")
	status := c.fs.String("status", "", "only keys with these comma-separated statuses")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("account"); err != nil {
		return err
	}
	f := keygate.APIKeyFilter{AccountID: *account}
	for _, s := range strings.Split(*status, ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.Statuses = append(f.Statuses, keygate.APIKeyStatus(s))
		}
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	now := svc.Now()
	out := []*wire.APIKey{}
	var rows [][]string
	for {
		f.Limit = keygate.MaxPageSize
		page, _, err := svc.ListAPIKeys(ctx, app.OperatorScope(), f)
		if err != nil {
			return err
		}
		for _, k := range page {
			w := wire.NewAPIKey(k, now)
			out = append(out, w)
			rows = append(rows, []string{k.ID, k.Name, w.Key, k.Label(now), formatTime(k.ExpiresAt), formatTime(k.LastUsedAt)})
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	if c.json {
		return printJSON(e.stdout, out)
	}
	return printTable(e.stdout, []string{"ID", "NAME", "KEY", "STATUS", "EXPIRES", "LAST USED"}, rows)
}

func runAPIKeysGet(ctx context.Context, e *env, args []string) error {
	return keyCommand(ctx, e, args, "get", func(ctx context.Context, svc *app.Service, id string) (*keygate.APIKey, error) {
		return svc.GetAPIKey(ctx, app.OperatorScope(), id)
	})
}

func runAPIKeysRevoke(ctx context.Context, e *env, args []string) error {
	return keyCommand(ctx, e, args, "revoke", func(ctx context.Context, svc *app.Service, id string) (*keygate.APIKey, error) {
		return svc.RevokeAPIKey(ctx, app.OperatorScope(), id)
	})
}

func runAPIKeysReactivate(ctx context.Context, e *env, args []string) error {
	return keyCommand(ctx, e, args, "reactivate", func(ctx context.Context, svc *app.Service, id string) (*keygate.APIKey, error) {
		return svc.ReactivateAPIKey(ctx, app.OperatorScope(), id)
	})
}

// keyCommand is the shape of the commands that take one key ID, act on it
// and print it.
func keyCommand(ctx context.Context, e *env, args []string, verb string, act func(context.Context, *app.Service, string) (*keygate.APIKey, error)) error {
	c := newCommand(e, "api-keys "+verb, "ID [--json]").withJSON()
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	k, err := act(ctx, svc, pos[0])
	if err != nil {
		return err
	}
	return c.printKey(k, svc.Now())
}

// printKey prints a key as the API shows it (--json) or as fields.
func (c *command) printKey(k *keygate.APIKey, now time.Time) error {
	w := wire.NewAPIKey(k, now)
	if c.json {
		return printJSON(c.env.stdout, w)
	}
	desc := "-"
	if k.Description != nil {
		desc = *k.Description
	}
	fields := []string{
		"ID", k.ID, "Account", k.AccountID, "Environment", string(k.Environment), "Name", k.Name,
		"Description", desc, "Key", w.Key, "Status", k.Label(now), "Permissions", formatPermissions(k),
		"Rotatable", fmt.Sprint(k.Rotatable), "Expires", formatTime(k.ExpiresAt), "Last used", formatTime(k.LastUsedAt),
		"Exposed", formatTime(k.ExposedAt), "Revoked", formatTime(k.RevokedAt), "Created", formatTime(&k.CreatedAt),
		"Updated", formatTime(&k.UpdatedAt)}
	if k.HasControls() {
		fields = append(fields, formatControls(k)...)
	}
	return printFields(c.env.stdout, fields...)
}
