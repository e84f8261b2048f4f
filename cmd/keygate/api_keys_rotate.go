package main

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// runAPIKeysRotate rotates a rotatable key for its owner (keygate's, not
// Paddle's: Paddle lets only the key itself rotate). It prints the new key
// once: alone on stdout without --json, for scripts; with --json, the
// rotation as the API shows it, new_key in full.
func runAPIKeysRotate(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "api-keys rotate", "ID --grace DURATION [--new-expires-at RFC3339] [--json]").withJSON()
	grace := c.fs.Duration("grace", 0, "how long the old secret keeps working once the new one is used (0s to 24h, whole seconds)")
	newExpiresAt := c.fs.String("new-expires-at", "", "the key's new expiry once the rotation completes, as RFC 3339 (at most one year away)")
	pos, err := c.parse(args, 1)
	if err != nil {
		return err
	}
	if !c.set("grace") {
		return usageError("give --grace, the grace period of the old secret (for example 5m, or 0s)")
	}
	if *grace%time.Second != 0 {
		return usageError(fmt.Sprintf("--grace: %s is not a whole number of seconds", *grace))
	}
	seconds := int(*grace / time.Second)
	in := keygate.APIKeyRotationCreate{GracePeriodSeconds: &seconds}
	if *newExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, *newExpiresAt)
		if err != nil {
			return usageError(fmt.Sprintf("--new-expires-at: %q is not an RFC 3339 time such as 2027-01-31T00:00:00Z", *newExpiresAt))
		}
		in.NewKeyExpiresAt = &t
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	r, token, err := svc.RotateAPIKey(ctx, app.OperatorScope(), pos[0], in)
	if err != nil {
		return err
	}
	if c.json {
		return printJSON(e.stdout, wire.NewAPIKeyRotation(r, token))
	}
	fmt.Fprintln(e.stdout, token)
	fmt.Fprintf(e.stderr, "Rotation %s is pending: the new key above is shown once. The old key works until the new one is first used, then for %s.\n", r.ID, *grace)
	return nil
}
