package main

import (
	"context"
	"fmt"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

func runAccountsCreate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "accounts create", "--environment live|sandbox --name NAME [--json]").withJSON()
	envName := c.fs.String("environment", "", "live or sandbox")
	name := c.fs.String("name", "", "the account's (seller's) name")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("environment", "name"); err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	a, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Environment(*envName), Name: *name})
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(e.stdout, wire.NewAccount(a))
	}
	_, err = fmt.Fprintln(e.stdout, a.ID)
	return err
}

func runAccountsList(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "accounts list", "[--environment live|sandbox] [--json]").withJSON()
	envName := c.fs.String("environment", "", "only accounts of this environment")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	var f keygate.AccountFilter
	if *envName != "" {
		env := keygate.Environment(*envName)
		if !env.Valid() {
			return usageError("--environment must be live or sandbox")
		}
		f.Environment = &env
	}
	out := []*wire.Account{}
	var rows [][]string
	for {
		f.Limit = keygate.MaxPageSize
		page, _, err := svc.ListAccounts(ctx, f)
		if err != nil {
			return err
		}
		for _, a := range page {
			out = append(out, wire.NewAccount(a))
			rows = append(rows, []string{a.ID, string(a.Environment), a.Name, formatTime(&a.CreatedAt)})
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	if c.json {
		return printJSON(e.stdout, out)
	}
	return printTable(e.stdout, []string{"ID", "ENVIRONMENT", "NAME", "CREATED"}, rows)
}
