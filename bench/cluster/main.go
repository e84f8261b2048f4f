// Command cluster measures how fast a credential change made through one
// node of a three-node cluster is in force on the other two. It starts
// three `keygate serve` processes on one PostgreSQL database (a schema of
// its own, dropped at the end), then -n times revokes a key through node A
// (alternately by its API and by the CLI, a separate process) and times,
// from the moment the change is acknowledged, how long until nodes B and C
// refuse the key; then reactivates it and times how long until they accept
// it again; and -n times rotates another key (no grace) and completes the
// rotation with the new key's first use on A, timing how long until B and C
// refuse the old secret. It prints p50, p99 and max per node and
// operation, for docs/performance.md.
//
//	go run ./bench/cluster -n 200 -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/pgschema"
)

func main() {
	n := flag.Int("n", 200, "how many revocations (and as many reactivations)")
	pgURL := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL")
	bin := flag.String("keygate", "", "keygate binary; empty to build one")
	flag.Parse()
	dir, err := os.MkdirTemp("", "keygate-bench-cluster")
	check(err)
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "keygate")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/keygate")
		build.Stderr = os.Stderr
		check(build.Run())
	}
	dbURL, _, drop, err := pgschema.Create(*pgURL, "keygate_bench")
	check(err)
	defer drop()

	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"KEYGATE_DATABASE_URL=" + dbURL, "KEYGATE_ENCRYPTION_KEY=" + base64.StdEncoding.EncodeToString(key),
		"KEYGATE_RATE_LIMIT=0", "KEYGATE_LOG_LEVEL=warn"}
	var nodes []*node
	for i, name := range []string{"A", "B", "C"} {
		nodes = append(nodes, start(*bin, name, append(env, "KEYGATE_DATA_DIR="+filepath.Join(dir, fmt.Sprint(i)))))
	}
	defer func() {
		for _, nd := range nodes {
			nd.cmd.Process.Signal(os.Interrupt)
			nd.cmd.Wait()
		}
	}()

	cli := func(args ...string) string {
		cmd := exec.Command(*bin, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("keygate %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	acc := cli("accounts", "create", "--environment", "live", "--name", "Bench")
	admin := cli("api-keys", "create", "--account", acc, "--name", "admin", "--permissions", "api_key.write")
	token := cli("api-keys", "create", "--account", acc, "--name", "target", "--permissions", "customer.read")
	rotToken := cli("api-keys", "create", "--account", acc, "--name", "rotating", "--permissions", "customer.read", "--rotatable")
	var keys []struct{ ID, Name string }
	check(json.Unmarshal([]byte(cli("api-keys", "list", "--account", acc, "--json")), &keys))
	var id, rotID string
	for _, k := range keys {
		switch k.Name {
		case "target":
			id = k.ID
		case "rotating":
			rotID = k.ID
		}
	}

	a, others := nodes[0], nodes[1:]
	delays := map[string][]time.Duration{}
	// measure waits, from now (the change was acknowledged), until every
	// other node accepts or refuses token, and records each node's delay
	// under "label → node X".
	measure := func(token string, accepted bool, label string) {
		acked := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, nd := range others {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := waitUntil(nd.api, token, accepted, acked)
				mu.Lock()
				delays[label+" → node "+nd.name] = append(delays[label+" → node "+nd.name], d)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	for i := range *n {
		for _, op := range []struct{ status, want string }{{"revoked", "refused"}, {"active", "accepted"}} {
			via := "API"
			if i%2 == 1 {
				via = "CLI"
				if op.status == "revoked" {
					cli("api-keys", "revoke", id)
				} else {
					cli("api-keys", "reactivate", id)
				}
			} else {
				patch(a.api, admin, id, op.status)
			}
			measure(token, op.want == "accepted", op.status+" via "+via)
		}
		// A rotation with no grace, completed by the new key's first use on
		// A: how long until B and C refuse the old secret.
		newKey := rotate(a.api, rotID, rotToken)
		use(a.api, newKey)
		measure(rotToken, false, "rotation completed")
		rotToken = newKey
	}
	fmt.Printf("%d revocations and %d reactivations through node A, half by its API and half by the CLI, and %d rotations (grace 0) completed by the new key's first use on A; delay from the acknowledgement until the node answers accordingly (refuses the old secret, for rotations):\n", *n, *n, *n)
	var names []string
	for k := range delays {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		d := delays[k]
		slices.Sort(d)
		fmt.Printf("%-32s n=%d p50=%v p99=%v max=%v\n", k, len(d), pct(d, 50), pct(d, 99), d[len(d)-1])
	}
}

// node is one keygate serve process.
type node struct {
	name string
	cmd  *exec.Cmd
	api  string
}

var listening = regexp.MustCompile(`keygate: live API listening on (http://\S+)`)

// start runs keygate serve with every surface on a free port and waits for
// its live API.
func start(bin, name string, env []string) *node {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "KEYGATE_LIVE_API_ADDR=127.0.0.1:0", "KEYGATE_SANDBOX_API_ADDR=127.0.0.1:0",
		"KEYGATE_LIVE_DASHBOARD_ADDR=127.0.0.1:0", "KEYGATE_SANDBOX_DASHBOARD_ADDR=127.0.0.1:0", "KEYGATE_METRICS_ADDR=127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	check(err)
	check(cmd.Start())
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &node{name: name, cmd: cmd, api: m[1]}
		}
	}
	log.Fatalf("node %s did not start", name)
	return nil
}

// waitUntil polls a node until it accepts (or refuses) the token and
// returns how long after since that was.
func waitUntil(api, token string, accept bool, since time.Time) time.Duration {
	for {
		req, _ := http.NewRequest("GET", api+"/event-types", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if (resp.StatusCode == http.StatusOK) == accept {
			return time.Since(since)
		}
		if time.Since(since) > 10*time.Second {
			log.Fatalf("%s: no change after 10 s", api)
		}
	}
}

// rotate starts a rotation of key id with no grace, authenticated with the
// key itself, and returns the new key.
func rotate(api, id, token string) string {
	req, _ := http.NewRequest("POST", api+"/api-keys/"+id+"/rotations", bytes.NewReader([]byte(`{"grace_period_seconds":0}`)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	var out struct {
		Data struct {
			NewKey string `json:"new_key"`
		}
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &out) != nil || out.Data.NewKey == "" {
		log.Fatalf("rotate %s: %d %s", id, resp.StatusCode, body)
	}
	return out.Data.NewKey
}

// use authenticates one request with token on api, which must succeed.
func use(api, token string) {
	req, _ := http.NewRequest("GET", api+"/event-types", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	check(err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("use of the new key: %d", resp.StatusCode)
	}
}

// patch sets a key's status through the API.
func patch(api, admin, id, status string) {
	req, _ := http.NewRequest("PATCH", api+"/api-keys/"+id, bytes.NewReader([]byte(`{"status":"`+status+`"}`)))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("PATCH %s: %d %s", id, resp.StatusCode, body)
	}
}

// pct returns the p-th percentile of sorted d.
func pct(d []time.Duration, p int) time.Duration {
	return d[min(len(d)-1, (len(d)*p+99)/100-1)].Round(10 * time.Microsecond)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
