package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/keygate/keygate/app"
)

// command is the common part of a subcommand: its flag set, its
// configuration and --json.
type command struct {
	fs   *flag.FlagSet
	cfg  Config
	json bool
	env  *env
	// addrs says the command serves, so its addresses are validated too.
	addrs bool
}

// newCommand returns a command whose flags include the store's settings.
func newCommand(e *env, name, synopsis string) *command {
	c := &command{fs: flag.NewFlagSet("keygate "+name, flag.ContinueOnError), cfg: DefaultConfig(), env: e}
	// The flag package prints a parse error itself, then keygate prints it
	// again: keep only keygate's, and print the usage after it.
	c.fs.SetOutput(io.Discard)
	c.fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: keygate %s %s\n\nFlags:\n", name, synopsis)
		c.fs.SetOutput(e.stderr)
		c.fs.PrintDefaults()
		c.fs.SetOutput(io.Discard)
	}
	bind(c.fs, e.getenv, c.cfg.storeSettings())
	return c
}

// withAddrs adds the surfaces' address flags.
func (c *command) withAddrs() *command {
	bind(c.fs, c.env.getenv, c.cfg.addrSettings())
	bind(c.fs, c.env.getenv, c.cfg.serveSettings())
	c.addrs = true
	return c
}

// withJSON adds --json.
func (c *command) withJSON() *command {
	c.fs.BoolVar(&c.json, "json", false, "print the result as JSON, as the API shows it")
	return c
}

// positional parses args, allowing flags before and after positional
// arguments ("get ID --json" as well as "get --json ID"), and returns the
// positional ones.
func (c *command) positional(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, usageError(err.Error())
		}
		if c.fs.NArg() == 0 {
			break
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	return pos, nil
}

// parse parses args, allowing flags before and after positional arguments
// ("get ID --json" as well as "get --json ID"), checks that there are
// exactly npos positional arguments, and validates the configuration.
func (c *command) parse(args []string, npos int) ([]string, error) {
	pos, err := c.positional(args)
	if err != nil {
		return nil, err
	}
	if len(pos) != npos {
		c.fs.Usage()
		return nil, fmt.Errorf("%w: expected %d argument(s), got %d", errUsage, npos, len(pos))
	}
	if err := c.cfg.Validate(c.addrs); err != nil {
		return nil, err
	}
	return pos, nil
}

// errUsage wraps argument-count mistakes after usage has been printed.
var errUsage = usageError("wrong number of arguments")

// required returns a usage error naming every flag of names that was not
// given. A flag given with an empty value passes: the rules then say what is
// wrong with it, together with every other invalid value.
func (c *command) required(names ...string) error {
	var missing []string
	for _, name := range names {
		if !c.set(name) {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return usageError("missing required flag(s): " + strings.Join(missing, ", "))
	}
	return nil
}

// set reports whether flag name was given on the command line.
func (c *command) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// service opens the store and returns the use cases over it, and a function
// that closes the store.
func (c *command) service(ctx context.Context) (*app.Service, func(), error) {
	store, _, err := openStore(ctx, &c.cfg)
	if err != nil {
		return nil, nil, err
	}
	svc := app.New(store)
	svc.KeyPrefix = c.cfg.KeyPrefix
	return svc, func() { store.Close() }, nil
}
