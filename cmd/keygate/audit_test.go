package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/sqlite"
	"github.com/keygate/keygate/wire"
)

// TestAuditCommands: what the CLI changes is in the audit log as the
// operator's; audit export writes it as JSON lines, oldest first, with its
// hashes; audit verify passes an untouched log and, after an entry is
// edited or deleted in the database, fails (exit status 1) naming the
// first broken link. On each engine.
func TestAuditCommands(t *testing.T) {
	for name, c := range engines(t) {
		t.Run(name, func(t *testing.T) {
			c.t = t
			c.env["USER"] = "ops-ada"
			acc := strings.TrimSpace(c.must("accounts", "create", "--environment", "sandbox", "--name", "Acme"))
			var k wire.APIKey
			c.mustJSON(&k, "api-keys", "create", "--account", acc, "--name", "CRM", "--permissions", "customer.read")
			c.must("api-keys", "revoke", k.ID)
			c.must("api-keys", "reactivate", k.ID)

			var lines []wire.AuditEntry
			sc := bufio.NewScanner(strings.NewReader(c.must("audit", "export", "--account", acc)))
			for sc.Scan() {
				var e wire.AuditEntry
				require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
				lines = append(lines, e)
			}
			require.Len(t, lines, 3)
			for i, want := range []string{"api_key.created", "api_key.revoked", "api_key.reactivated"} {
				require.Equal(t, want, lines[i].Action)
				require.Equal(t, int64(i+1), lines[i].Seq)
				require.Equal(t, "operator", lines[i].Actor.Type)
				require.Equal(t, "keygate CLI, user ops-ada", lines[i].Actor.UserAgent)
				require.Equal(t, k.ID, lines[i].TargetID)
			}
			require.Equal(t, lines[0].Hash, lines[1].PrevHash)
			require.Empty(t, c.must("audit", "export", "--account", acc, "--since", time.Now().Add(time.Hour).Format(time.RFC3339)))
			_, _, err := c.run("", "audit", "export", "--since", "yesterday")
			require.Equal(t, 2, exitCode(err))

			other := strings.TrimSpace(c.must("accounts", "create", "--environment", "live", "--name", "Other"))
			var ok wire.APIKey
			c.mustJSON(&ok, "api-keys", "create", "--account", other, "--name", "Ops", "--permissions", "all")
			perAccount := map[string][]int64{}
			sc = bufio.NewScanner(strings.NewReader(c.must("audit", "export")))
			for sc.Scan() {
				var e wire.AuditEntry
				require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
				perAccount[e.AccountID] = append(perAccount[e.AccountID], e.Seq)
			}
			require.Equal(t, map[string][]int64{acc: {1, 2, 3}, other: {1}}, perAccount,
				"without --account: every account's entries, each account's in order")

			out := c.must("audit", "verify")
			require.Contains(t, out, acc+": ok, 3 entries checked")
			require.Contains(t, out, other+": ok, 1 entry checked")

			db := c.rawDB(t)
			_, err = db.Exec(`UPDATE audit_log SET detail = 'edited' WHERE account_id = '` + acc + `' AND seq = 2`)
			require.NoError(t, err)
			out, _, err = c.run("", "audit", "verify")
			require.Error(t, err)
			require.Equal(t, 1, exitCode(err))
			require.Contains(t, out, acc+": BROKEN at entry 2 ("+lines[1].ID+")")
			require.Contains(t, out, "changed")

			_, err = db.Exec(`DELETE FROM audit_log WHERE account_id = '` + acc + `' AND seq = 2`)
			require.NoError(t, err)
			out, _, err = c.run("", "audit", "verify", "--account", acc)
			require.Equal(t, 1, exitCode(err))
			require.Contains(t, out, acc+": BROKEN at entry 2 (missing)")
		})
	}
}

// rawDB opens the CLI's database directly, as someone with access to it
// would, closed when t ends.
func (c *cli) rawDB(t *testing.T) *sql.DB {
	var db *sql.DB
	var err error
	if u := c.env["KEYGATE_DATABASE_URL"]; u != "" {
		db, err = sql.Open("pgx", u)
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(c.env["KEYGATE_DATA_DIR"], sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	}
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "2160h": 2160 * time.Hour, "1h": time.Hour} {
		d, err := parseRetention(in)
		require.NoError(t, err, in)
		require.Equal(t, want, d, in)
	}
	for _, in := range []string{"", "0d", "-1d", "30m", "a year", "1y", "99999d"} {
		_, err := parseRetention(in)
		require.ErrorContains(t, err, "KEYGATE_AUDIT_RETENTION", in)
	}
}
