package main

import (
	"context"
	"fmt"
	"strings"
)

// runMigrate applies pending migrations and says which. Migrations also run
// at the start of every command; this one exists to run them on their own
// (before rolling out new nodes, say).
func runMigrate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "migrate", "")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	store, applied, err := openStore(ctx, &c.cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "The database is up to date.")
		return nil
	}
	fmt.Fprintf(e.stdout, "Applied %d migration(s): %s\n", len(applied), strings.Join(applied, ", "))
	return nil
}
