package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// runUsersCreate adds a dashboard user. The password is read from standard
// input, never from a flag, so it stays out of shell history and ps.
func runUsersCreate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "users create", "--account ACC --email EMAIL --password-stdin [--json]").withJSON()
	account := c.fs.String("account", "", "the account's ID (acc_…)")
	email := c.fs.String("email", "", "the user's e-mail address, which they sign in with")
	fromStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	if err := c.required("account", "email"); err != nil {
		return err
	}
	if !*fromStdin {
		return usageError("a password is required: give it on standard input with --password-stdin")
	}
	password, err := readLine(e)
	if err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	u, err := svc.CreateUser(ctx, keygate.UserCreate{AccountID: *account, Email: *email, Password: password})
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(e.stdout, wire.NewUser(u))
	}
	_, err = fmt.Fprintln(e.stdout, u.ID)
	return err
}

// readLine reads the first line of standard input, without its line ending.
func readLine(e *env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read standard input: nothing to read")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
