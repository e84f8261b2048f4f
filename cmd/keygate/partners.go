package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/keygate/keygate"
)

// runPartnersCreate creates a partner and prints its partner key, once:
// alone on stdout (for scripts), or with --json as {"id": "pid_…",
// "key": "psk_…", …}.
func runPartnersCreate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "partners create", "--environment live|sandbox --name NAME --allowed-domains d1,d2 [--json]").withJSON()
	envName := c.fs.String("environment", "", "live or sandbox")
	name := c.fs.String("name", "", "the partner's name")
	domains := c.fs.String("allowed-domains", "", "comma-separated domains (and their subdomains) magic links may be followed from")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("environment", "name", "allowed-domains"); err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	var list []string
	for _, d := range strings.Split(*domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			list = append(list, d)
		}
	}
	p, key, err := svc.CreatePartner(ctx, keygate.PartnerCreate{Environment: keygate.Environment(*envName), Name: *name, AllowedDomains: list})
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(e.stdout, map[string]any{"id": p.ID, "key": key, "name": p.Name, "environment": p.Environment, "allowed_domains": p.AllowedDomains})
	}
	fmt.Fprintln(e.stdout, key)
	fmt.Fprintf(e.stderr, "Created partner %s. This is the only time its key is shown: store it now. Send %s in the Paddle-PartnerID header.\n", p.ID, p.ID)
	return nil
}
