package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/wire"
)

// errAuditBroken is the error of a verification that found a broken link
// (exit status 1, after the report).
var errAuditBroken = errors.New("the audit log's hash chain is broken")

// runAuditVerify checks every account's audit chain (or one account's) and
// reports each; the first broken link of a chain is named, and any break
// makes the exit status 1.
func runAuditVerify(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "audit verify", "[--account ACC] [--json]").withJSON()
	account := c.fs.String("account", "", "only this account's chain (\"\" is every chain)")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	var only *string
	if *account != "" {
		only = account
	}
	states, err := svc.VerifyAuditLog(ctx, only)
	if err != nil {
		return err
	}
	broken := false
	var out []map[string]any
	for _, st := range states {
		name := st.Head.AccountID
		if name == "" {
			name = "(no account)"
		}
		row := map[string]any{"account_id": st.Head.AccountID, "entries": st.Head.Seq - st.Head.PrunedSeq, "checked": st.Checked, "ok": st.Break == nil}
		if st.Break != nil {
			broken = true
			row["broken_at_seq"], row["broken_entry_id"], row["reason"] = st.Break.Seq, st.Break.EntryID, st.Break.Reason
			if !c.json {
				fmt.Fprintf(e.stdout, "%s: BROKEN at entry %d (%s): %s\n", name, st.Break.Seq, orMissing(st.Break.EntryID), st.Break.Reason)
			}
		} else if !c.json {
			fmt.Fprintf(e.stdout, "%s: ok, %s checked (seq %d to %d)\n", name, entries(st.Checked), st.Head.PrunedSeq+1, st.Head.Seq)
		}
		out = append(out, row)
	}
	if c.json {
		if err := printJSON(e.stdout, out); err != nil {
			return err
		}
	}
	if broken {
		return errAuditBroken
	}
	return nil
}

// entries says n entries, in words.
func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

func orMissing(id string) string {
	if id == "" {
		return "missing"
	}
	return id
}

// runAuditExport writes an account's audit entries (or every account's) as
// JSON lines, oldest first, each with the hashes that chain it.
func runAuditExport(ctx context.Context, e *env, args []string) error {
	c := newCommand(e, "audit export", "[--account ACC] [--since RFC3339]")
	account := c.fs.String("account", "", "only this account's entries (default: every account's)")
	since := c.fs.String("since", "", "only entries at or after this time (RFC 3339)")
	if _, err := c.parse(args, 0); err != nil {
		return err
	}
	var from time.Time
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			return usageError("--since must be an RFC 3339 time, such as 2026-01-02T15:04:05Z")
		}
		from = t
	}
	svc, done, err := c.service(ctx)
	if err != nil {
		return err
	}
	defer done()
	accounts := []string{*account}
	if *account == "" {
		if accounts, err = auditAccounts(ctx, svc); err != nil {
			return err
		}
	}
	w := bufio.NewWriter(e.stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, a := range accounts {
		err := svc.ExportAuditLog(ctx, a, from, func(x *keygate.AuditEntry) error { return enc.Encode(wire.NewAuditEntry(x)) })
		if err != nil {
			return err
		}
	}
	return w.Flush()
}

// auditAccounts returns every account with an audit chain.
func auditAccounts(ctx context.Context, svc *app.Service) ([]string, error) {
	states, err := svc.AuditHeads(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(states))
	for i, h := range states {
		out[i] = h.AccountID
	}
	return out, nil
}

// auditPruneInterval is how often a node deletes the audit entries past
// their retention; every node does, and the store keeps that safe.
const auditPruneInterval = time.Hour

// parseRetention reads KEYGATE_AUDIT_RETENTION: a Go duration ("2160h") or
// a number of days ("365d"), at least an hour.
func parseRetention(v string) (time.Duration, error) {
	bad := fmt.Errorf("KEYGATE_AUDIT_RETENTION: %q is not a duration of at least 1h, such as 365d or 2160h", v)
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, bad
		}
	}
	if d < time.Hour {
		return 0, bad
	}
	return d, nil
}
