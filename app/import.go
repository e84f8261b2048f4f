package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// DefaultImportBatch is how many keys ImportKeys writes per transaction.
const DefaultImportBatch = 1000

// ImportResult is what an import did.
type ImportResult struct {
	// Imported lists the keys created, in the file's order.
	Imported []*keygate.APIKey `json:"imported"`
	// Skipped counts the lines whose key the account already had (a
	// second import of the same file skips every line).
	Skipped int `json:"skipped"`
}

// importLine is one line of an import file, as JSON.
type importLine struct {
	Key         string     `json:"key"`
	SHA256      string     `json:"sha256"`
	Name        string     `json:"name"`
	Description *string    `json:"description"`
	CreatedAt   *wire.Time `json:"created_at"`
}

// pendingImport is a checked line, ready to write.
type pendingImport struct {
	in   keygate.KeyImport
	hash []byte
}

// ImportKeys imports keys into an account from JSON lines: {"key": a
// legacy key, …} or {"sha256": hex SHA-256 of any key, …}, with "name",
// "description" and "created_at". Every line is checked before anything is
// written: a bad line, a key given twice, or a key another account has is
// a CodeInvalidField error naming its line, and nothing is imported. Keys
// the account already has are skipped, so importing a file again imports
// nothing twice (a revoked one stays revoked). The rest is written in
// transactions of batch keys (DefaultImportBatch for 0), each key with its
// api_key.created; if one fails, the batches before it stay and running
// the import again completes it.
func (s *Service) ImportKeys(ctx context.Context, sc Scope, accountID string, r io.Reader, batch int) (*ImportResult, error) {
	now := s.now()
	lines, err := readImport(r, now)
	if err != nil {
		return nil, err
	}
	var a *keygate.Account
	res := &ImportResult{Imported: []*keygate.APIKey{}}
	var todo []pendingImport
	// One lookup per line, each on its own: prepared statements outside a
	// transaction where the store offers them.
	view := s.Store.View
	if r, ok := s.Store.(keygate.DirectReader); ok {
		view = r.ReadDirect
	}
	err = view(ctx, func(tx keygate.Tx) error {
		if a, err = findAccount(ctx, tx, sc, accountID); err != nil {
			return err
		}
		todo, res.Skipped, err = newImports(ctx, tx, a, lines)
		return err
	})
	if err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = DefaultImportBatch
	}
	for len(todo) > 0 {
		n := min(batch, len(todo))
		keys, err := s.importBatch(ctx, sc, a, todo[:n], now)
		if err != nil {
			return res, err
		}
		res.Imported = append(res.Imported, keys...)
		todo = todo[n:]
	}
	return res, nil
}

// numberedImport is a checked line and its number in the file.
type numberedImport struct {
	pendingImport
	line int
}

// readImport reads and checks every line; blank lines are skipped.
func readImport(r io.Reader, now time.Time) ([]numberedImport, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[string]int{}
	var out []numberedImport
	for n := 1; sc.Scan(); n++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		p, err := parseImportLine(text, now)
		if err != nil {
			return nil, lineError(n, err)
		}
		if first, dup := seen[string(p.hash)]; dup {
			return nil, lineError(n, fmt.Errorf("the same key as line %d", first))
		}
		seen[string(p.hash)] = n
		out = append(out, numberedImport{p, n})
	}
	if err := sc.Err(); err != nil {
		return nil, keygate.Errorf(keygate.CodeBadRequest, "The file can't be read: %v.", err)
	}
	return out, nil
}

// parseImportLine decodes and validates one line.
func parseImportLine(text []byte, now time.Time) (pendingImport, error) {
	var l importLine
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return pendingImport{}, fmt.Errorf("not a JSON object of key or sha256, name, description, created_at: %v", err)
	}
	in := keygate.KeyImport{Key: l.Key, SHA256: l.SHA256, Name: l.Name, Description: l.Description}
	if l.CreatedAt != nil {
		t := time.Time(*l.CreatedAt).UTC().Truncate(time.Microsecond)
		in.CreatedAt = &t
	}
	if in.Description != nil && *in.Description == "" {
		in.Description = nil
	}
	hash, err := in.Validate(now)
	return pendingImport{in: in, hash: hash}, err
}

// lineError is the error of a bad line: CodeInvalidField, naming the line.
func lineError(n int, err error) error {
	msg := err.Error()
	if fields := keygate.ErrorFields(err); len(fields) > 0 {
		msg = fields[0].Field + " " + fields[0].Message
	}
	return &keygate.Error{Code: keygate.CodeInvalidField, Message: fmt.Sprintf("Line %d: %s. Nothing was imported.", n, msg),
		Fields: []keygate.FieldError{{Field: fmt.Sprintf("line %d", n), Message: msg}}}
}

// newImports drops the lines whose key account a has already, and refuses
// a key that another account of a's environment has.
func newImports(ctx context.Context, tx keygate.Tx, a *keygate.Account, lines []numberedImport) ([]pendingImport, int, error) {
	var todo []pendingImport
	skipped := 0
	for _, l := range lines {
		k, err := tx.FindAPIKeyByHash(ctx, a.Environment, l.hash)
		switch {
		case keygate.ErrorCode(err) == keygate.CodeNotFound:
			todo = append(todo, l.pendingImport)
		case err != nil:
			return nil, 0, err
		case k.AccountID != a.ID:
			return nil, 0, lineError(l.line, fmt.Errorf("this key belongs to another account already"))
		default:
			skipped++
		}
	}
	return todo, skipped, nil
}

// importBatch writes one batch of keys, with their events, in one
// transaction.
func (s *Service) importBatch(ctx context.Context, sc Scope, a *keygate.Account, batch []pendingImport, now time.Time) ([]*keygate.APIKey, error) {
	keys := make([]*keygate.APIKey, 0, len(batch))
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		keys = keys[:0]
		settings, err := activeSettings(ctx, tx, a.ID) // once a batch, not once a key
		if err != nil {
			return err
		}
		for _, p := range batch {
			created := now
			if p.in.CreatedAt != nil {
				created = *p.in.CreatedAt
			}
			k := &keygate.APIKey{
				ID: credential.NewID("apikey", created), AccountID: a.ID, Environment: a.Environment, Name: p.in.Name,
				Description: p.in.Description, Status: keygate.APIKeyActive, Legacy: true, SecretHash: p.hash,
				CreatedAt: created, UpdatedAt: now,
			}
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return err
			}
			data, err := json.Marshal(wire.NewAPIKey(k, now))
			if err != nil {
				return err
			}
			e := &keygate.Event{ID: credential.NewID("evt", now), AccountID: a.ID, Environment: a.Environment,
				Type: keygate.EventAPIKeyCreated, EntityID: k.ID, OccurredAt: now, Data: data}
			if err := tx.CreateEvent(ctx, e); err != nil {
				return err
			}
			if err := notifyAll(ctx, tx, e, settings, now); err != nil {
				return err
			}
			if err := record(ctx, tx, sc.Actor(), a.ID, a.Environment, keygate.AuditKeyCreated, k.ID, "key imported", now); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if s.Changed != nil {
			s.Changed(k.ID)
		}
	}
	s.wake()
	return keys, nil
}
