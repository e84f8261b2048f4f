// Command genkeys prints live API keys, one a line, for the load test.
//
// By default they are random, well-formed keys with right check digits: keys
// no store holds, which the verifier must refuse cheaply (one store read
// each, then negative caching). With -data-dir it creates the keys in the
// SQLite store of that data directory instead (in bulk, in one new account,
// with permission product.read), gives each a last use, as a node that
// served them would have written (so that a starting node's warm-up loads
// them), and prints their tokens.
//
//	genkeys -n 100000 > unknown.txt
//	genkeys -n 100000 -data-dir keygate-data > valid.txt
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
)

func main() {
	n := flag.Int("n", 100000, "how many keys")
	dataDir := flag.String("data-dir", "", "create the keys in the SQLite store of this data directory")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if *dataDir == "" {
		for range *n {
			fmt.Fprintln(w, credential.NewAPIKey("", credential.EnvLive, time.Now()).Token)
		}
		return
	}
	tokens, err := create(context.Background(), filepath.Join(*dataDir, sqlite.FileName), *n)
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range tokens {
		fmt.Fprintln(w, t)
	}
}

// create makes n keys in the store at path in transactions of 5,000, each
// with its last use, and returns their tokens.
func create(ctx context.Context, path string, n int) ([]string, error) {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	prefix, err := store.KeyPrefix(ctx, credential.DefaultKeyPrefix)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	acc := &keygate.Account{ID: credential.NewID("acc", now), Environment: keygate.Live, Name: "Load", CreatedAt: now, UpdatedAt: now}
	if err := store.Update(ctx, func(tx keygate.Tx) error { return tx.CreateAccount(ctx, acc) }); err != nil {
		return nil, err
	}
	tokens := make([]string, 0, n)
	exp := now.AddDate(1, 0, 0)
	perms := []keygate.Permission{"product.read"}
	for len(tokens) < n {
		err := store.Update(ctx, func(tx keygate.Tx) error {
			var uses []keygate.LastUse
			for i := 0; i < 5000 && len(tokens) < n; i++ {
				k := credential.NewAPIKey(prefix, credential.EnvLive, now)
				if err := tx.CreateAPIKey(ctx, &keygate.APIKey{ID: k.EntityID, AccountID: acc.ID, Environment: keygate.Live, Name: "k",
					Status: keygate.APIKeyActive, Permissions: perms, SecretHash: k.Hash[:], ExpiresAt: &exp, CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
				uses = append(uses, keygate.LastUse{ID: k.EntityID, At: now, Requests: 1})
				tokens = append(tokens, k.Token)
			}
			return tx.TouchAPIKeys(ctx, uses)
		})
		if err != nil {
			return nil, err
		}
	}
	return tokens, nil
}
