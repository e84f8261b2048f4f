package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// runAPIKeysImport imports keys from a file of JSON lines into an account:
// Paddle legacy keys ({"key": …}) or keys of other systems by their SHA-256
// ({"sha256": …}), each with "name" and optionally "description" and
// "created_at". A bad line imports nothing and is reported with its number;
// keys already imported are skipped.
func runAPIKeysImport(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys import", "--account ACC --file F [--batch N] [--json]").withJSON()
	account := c.fs.String("account", "", "the account's ID (acc_…)")
	file := c.fs.String("file", "", `JSON lines: {"key": legacy key | "sha256": hex, "name": …, "description": …, "created_at": …}; - for standard input`)
	batch := c.fs.Int("batch", app.DefaultImportBatch, "keys written per transaction")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("account", "file"); err != nil {
		return err
	}
	in := e.stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		in = f
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	res, err := svc.ImportKeys(ctx, app.OperatorScope(), *account, in, *batch)
	if err != nil {
		if res != nil && len(res.Imported) > 0 {
			fmt.Fprintf(e.stderr, "Imported %d keys before the error; run the import again to complete it.\n", len(res.Imported))
		}
		return err
	}
	if c.json {
		now := svc.Now()
		out := struct {
			Imported []*wire.APIKey `json:"imported"`
			Skipped  int            `json:"skipped"`
		}{Imported: make([]*wire.APIKey, len(res.Imported)), Skipped: res.Skipped}
		for i, k := range res.Imported {
			out.Imported[i] = wire.NewAPIKey(k, now)
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "Imported %d keys, skipped %d already imported, in %s.\n", len(res.Imported), res.Skipped, time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(e.stderr, "Imported keys have full access and no expiry, as Paddle's legacy keys; replace them with standard keys when you can.")
	return nil
}
