// Command import measures `keygate api-keys import` at scale: it writes a
// file of n keys (half Paddle legacy keys, half SHA-256 of other systems'
// keys), imports it into a fresh SQLite database through the same use case
// the CLI runs, imports it again (which must import nothing), and then
// authenticates a sample of the imported keys, on a miss and cached.
//
//	go run ./bench/import -n 100000
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/sqlite"
)

func main() {
	n := flag.Int("n", 100000, "how many keys to import")
	batch := flag.Int("batch", app.DefaultImportBatch, "keys per transaction")
	flag.Parse()
	if err := run(*n, *batch); err != nil {
		log.Fatal(err)
	}
}

func run(n, batch int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "keygate-import-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokens, file, err := writeFile(dir, n)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	if err != nil {
		return err
	}
	defer db.Close()
	svc := app.New(db)
	acc, err := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Import"})
	if err != nil {
		return err
	}
	for round := 1; round <= 2; round++ {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		start, cpu := time.Now(), cpuTime()
		res, err := svc.ImportKeys(ctx, app.OperatorScope(), acc.ID, bufio.NewReader(f), batch)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Printf("import %d: %d keys imported, %d skipped in %s wall, %s CPU (batches of %d, SQLite)\n",
			round, len(res.Imported), res.Skipped, time.Since(start).Round(time.Millisecond), (cpuTime() - cpu).Round(time.Millisecond), batch)
	}
	return authenticate(ctx, db, tokens)
}

// cpuTime returns the CPU time the process used so far: on a shared
// machine the wall time says more about the other work than about this.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeFile writes n import lines and returns a sample of the tokens.
func writeFile(dir string, n int) ([]string, string, error) {
	path := filepath.Join(dir, "keys.jsonl")
	f, err := os.Create(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var sample []string
	for i := range n {
		var token string
		if i%2 == 0 {
			token = credential.NewLegacyKey()
			fmt.Fprintf(w, `{"key":%q,"name":"legacy %d"}`+"\n", token, i)
		} else {
			token = fmt.Sprintf("acme_sk_%d_%s", i, credential.NewLegacyKey()[:20])
			sum := sha256.Sum256([]byte(token))
			fmt.Fprintf(w, `{"sha256":%q,"name":"acme %d"}`+"\n", hex.EncodeToString(sum[:]), i)
		}
		if i%(max(1, n/1000)) == 0 {
			sample = append(sample, token)
		}
	}
	return sample, path, w.Flush()
}

// authenticate times the sample's first (a miss) and second (cached)
// authentication.
func authenticate(ctx context.Context, db keygate.Store, tokens []string) error {
	v := auth.New(auth.Config{Store: db})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go v.Run(runCtx)
	for !v.Started() {
		time.Sleep(time.Millisecond)
	}
	for _, pass := range []string{"miss", "cached"} {
		start := time.Now()
		for _, tok := range tokens {
			if _, err := v.Authenticate(ctx, keygate.Live, "Bearer "+tok, 0); err != nil {
				return fmt.Errorf("%s: %w", pass, err)
			}
		}
		fmt.Printf("authenticate %d imported keys, %s: %s per key\n", len(tokens), pass, (time.Since(start) / time.Duration(len(tokens))).Round(10*time.Nanosecond))
	}
	return nil
}
