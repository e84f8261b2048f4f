// Command keygate runs keygate's server and administers its store.
//
// Usage:
//
//	keygate serve                      run the API and dashboard surfaces
//	keygate migrate                    apply pending database migrations
//	keygate accounts create|list       manage accounts (sellers)
//	keygate users create               add a dashboard user to an account
//	keygate api-keys create|list|get|update|revoke|reactivate|import-legacy|import|rotate
//	keygate partners create            add a partner, who creates sellers by API
//	keygate audit verify|export        check or export the audit log
//	keygate scan [--git] [PATH…]       find leaked API keys offline; exit 1 if any
//
// Every command reads its configuration from KEYGATE_* environment
// variables and from flags of the same meaning; run any command with -h for
// its flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		os.Exit(exitCode(err))
	}
}

// env is what a command sees of the process: its arguments are passed
// separately; everything else comes through here, so tests can run commands
// in-process with their own environment and buffers.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run runs the keygate command line. It prints its own errors to stderr;
// the error it returns only decides the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	// What the CLI does is the operator's, from this machine.
	ctx = app.WithClient(ctx, app.Client{UserAgent: strings.TrimSuffix("keygate CLI, user "+getenv("USER"), ", user ")})
	err := dispatch(ctx, e, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: usage is printed, and asking for it is no failure
	}
	if err != nil {
		printError(stderr, err)
	}
	return err
}

// commands maps each command (and subcommand) to its function.
var commands = map[string]func(context.Context, *env, []string) error{
	"serve":                  runServe,
	"migrate":                runMigrate,
	"accounts create":        runAccountsCreate,
	"accounts list":          runAccountsList,
	"users create":           runUsersCreate,
	"api-keys create":        runAPIKeysCreate,
	"api-keys list":          runAPIKeysList,
	"api-keys get":           runAPIKeysGet,
	"api-keys update":        runAPIKeysUpdate,
	"api-keys revoke":        runAPIKeysRevoke,
	"api-keys reactivate":    runAPIKeysReactivate,
	"api-keys import-legacy": runAPIKeysImportLegacy,
	"api-keys rotate":        runAPIKeysRotate,
	"api-keys import":        runAPIKeysImport,
	"partners create":        runPartnersCreate,
	"audit verify":           runAuditVerify,
	"audit export":           runAuditExport,
	"scan":                   runScan,
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, usage)
		if len(args) == 0 {
			return usageError("no command given")
		}
		return nil
	}
	if args[0] == "version" || args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, e, args[1:])
	}
	if fn, ok := commands[args[0]]; ok {
		return fn(ctx, e, args[1:])
	}
	if len(args) == 1 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		if subs := subcommands(args[0]); len(subs) > 0 {
			fmt.Fprintf(e.stdout, "Usage: keygate %s COMMAND [flags]\n\nCommands:\n", args[0])
			for _, sub := range subs {
				fmt.Fprintf(e.stdout, "  keygate %s\n", sub)
			}
			fmt.Fprintf(e.stdout, "\nRun keygate %s COMMAND -h for a command's flags.\n", args[0])
			if len(args) == 1 {
				return usageError(fmt.Sprintf("keygate %s needs a command", args[0]))
			}
			return nil
		}
	}
	if len(args) > 1 {
		if fn, ok := commands[args[0]+" "+args[1]]; ok {
			return fn(ctx, e, args[2:])
		}
	}
	return usageError(fmt.Sprintf("unknown command %q; run keygate help", joinArgs(args, 2)))
}

// subcommands returns the commands of a group ("api-keys create", …),
// sorted.
func subcommands(group string) []string {
	var out []string
	for name := range commands {
		if strings.HasPrefix(name, group+" ") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

const usage = `keygate: a self-hostable credential and authentication server.

Usage:
  keygate serve                     run the API and dashboard surfaces
  keygate migrate                   apply pending database migrations
  keygate accounts create --environment live|sandbox --name NAME [--json]
  keygate accounts list [--environment live|sandbox] [--json]
  keygate users create --account ACC --email EMAIL --password-stdin [--json]
  keygate api-keys create --account ACC --name NAME --permissions all|p1,p2
                          [--description D] [--expires-at RFC3339] [--rotatable] [--json]
  keygate api-keys list --account ACC [--status active,expired,revoked] [--json]
  keygate api-keys get ID [--json]
  keygate api-keys update ID [--name N] [--description D] [--permissions P] [--json]
  keygate api-keys revoke ID [--json]
  keygate api-keys reactivate ID [--json]
  keygate api-keys import-legacy --account ACC --name NAME --key-stdin [--json]
  keygate api-keys import --account ACC --file F|- [--batch N] [--json]
  keygate api-keys rotate ID --grace DURATION [--new-expires-at RFC3339] [--json]
  keygate partners create --environment live|sandbox --name NAME --allowed-domains d1,d2 [--json]
  keygate audit verify [--account ACC] [--json]
                          check the audit log's hash chains; exit status 1 at a broken link
  keygate audit export [--account ACC] [--since RFC3339]
                          write the audit log as JSON lines, oldest first
  keygate scan [--git] [--report] [PATH…]
                          find this deployment's API keys in files, directories, standard
                          input or (--git) a repository's history; exit status 1 if any

Storage: KEYGATE_DATABASE_URL (postgres://…), or unset for SQLite under
KEYGATE_DATA_DIR (default ./keygate-data). Run a command with -h for its flags.
`

// usageErr is a mistake in the command line: exit status 2.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func usageError(msg string) error { return &usageErr{msg: msg} }

// exitCode is 2 for usage errors, 1 for anything else.
func exitCode(err error) int {
	var u *usageErr
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// printError prints err as one clear line (and one line per invalid field):
// a keygate.Error by its caller-safe message, anything else in full.
func printError(w io.Writer, err error) {
	var ke *keygate.Error
	switch {
	case errors.As(err, &ke) && ke.Code != keygate.CodeInternal:
		fmt.Fprintf(w, "keygate: %s\n", ke.Message)
		for _, f := range ke.Fields {
			fmt.Fprintf(w, "  %s: %s\n", f.Field, f.Message)
		}
	default:
		fmt.Fprintf(w, "keygate: %v\n", err)
	}
}

func joinArgs(args []string, n int) string {
	if len(args) > n {
		args = args[:n]
	}
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
