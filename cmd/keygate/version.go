package main

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/keygate/keygate/sqlite"
)

// version is keygate's version, set at build time with
// -ldflags "-X main.version=v1.2.3"; "devel" otherwise.
var version = "devel"

// runVersion prints the version, the commit it was built from (from the
// build's VCS information) and the schema version (the newest migration).
func runVersion(_ context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError("keygate version takes no arguments")
	}
	commit, modified := "unknown", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(e.stdout, "keygate %s\ncommit %s%s\nschema %s\n", version, commit, modified, sqlite.SchemaVersion())
	return nil
}
