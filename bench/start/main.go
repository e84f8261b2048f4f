// Command start measures how long `keygate serve` takes to be ready: the
// wall time from starting the process to the first 200 from the live API's
// /readyz (polled every millisecond from this process, so no process start
// per poll is counted), and the CPU time the server spent until then (its
// threads' run time from /proc, in nanoseconds).
//
//	go build -o /tmp/keygate ./cmd/keygate
//	go run ./bench/start -bin /tmp/keygate -runs 10
//	go run ./bench/start -bin /tmp/keygate -runs 10 -postgres 'postgres://…'
//
// Each run starts the server on the same data directory, migrated first
// and with one dashboard user in each environment (a restarted node, the
// case that matters); -fresh makes a new directory for every run instead.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/pgschema"
)

func main() {
	bin := flag.String("bin", "", "the keygate binary (default: built from this tree)")
	runs := flag.Int("runs", 10, "starts to measure")
	fresh := flag.Bool("fresh", false, "a new, migrated data directory for every start, with no user (so each start also makes set-up links)")
	pgURL := flag.String("postgres", "", "measure on PostgreSQL at this URL (a schema of its own) instead of SQLite")
	flag.Parse()
	if err := run(*bin, *runs, *fresh, *pgURL); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		os.Exit(1)
	}
}

func run(bin string, runs int, fresh bool, pgURL string) error {
	tmp, err := os.MkdirTemp("", "keygate-start-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		bin = filepath.Join(tmp, "keygate")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/keygate").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	env := []string{"KEYGATE_LOG_LEVEL=error"}
	if pgURL != "" {
		url, _, drop, err := pgschema.Create(pgURL, "keygate_start")
		if err != nil {
			return err
		}
		defer drop()
		env = append(env, "KEYGATE_DATABASE_URL="+url)
	}
	dir := filepath.Join(tmp, "data")
	if err := prepare(bin, env, dir, !fresh); err != nil {
		return err
	}
	var walls, cpus []time.Duration
	for i := range runs {
		if fresh && i > 0 {
			dir = filepath.Join(tmp, "data"+strconv.Itoa(i))
			if err := prepare(bin, env, dir, false); err != nil {
				return err
			}
		}
		wall, cpu, err := once(bin, append(env, "KEYGATE_DATA_DIR="+dir))
		if err != nil {
			return err
		}
		fmt.Printf("start %2d: ready after %6.1f ms, %6.1f ms of CPU\n", i+1, ms(wall), ms(cpu))
		walls, cpus = append(walls, wall), append(cpus, cpu)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	fmt.Printf("%d starts: wall min %.1f ms, median %.1f ms, max %.1f ms; CPU min %.1f ms, median %.1f ms\n",
		runs, ms(walls[0]), ms(walls[len(walls)/2]), ms(walls[len(walls)-1]), ms(cpus[0]), ms(cpus[len(cpus)/2]))
	return nil
}

// prepare migrates the store in dir and, with users, adds one dashboard
// user to each environment.
func prepare(bin string, env []string, dir string, users bool) error {
	env = append(env, "KEYGATE_DATA_DIR="+dir)
	if _, err := command(bin, env, "", "migrate"); err != nil {
		return err
	}
	if !users {
		return nil
	}
	for _, e := range []string{"live", "sandbox"} {
		acc, err := command(bin, env, "", "accounts", "create", "--environment", e, "--name", "Start")
		if err != nil {
			return err
		}
		if _, err := command(bin, env, "a-long-enough-password-1\n", "users", "create", "--account", acc, "--email", e+"@example.com", "--password-stdin"); err != nil {
			return err
		}
	}
	return nil
}

// command runs a keygate command and returns its output, trimmed.
func command(bin string, env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("keygate %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// once starts the server, waits for its first 200 from /readyz, and returns
// the time that took and the CPU time the server had used by then.
func once(bin string, env []string) (wall, cpu time.Duration, err error) {
	api, err := freeAddr()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "KEYGATE_LIVE_API_ADDR="+api, "KEYGATE_SANDBOX_API_ADDR=127.0.0.1:0",
		"KEYGATE_LIVE_DASHBOARD_ADDR=127.0.0.1:0", "KEYGATE_SANDBOX_DASHBOARD_ADDR=127.0.0.1:0", "KEYGATE_METRICS_ADDR=127.0.0.1:0")
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	for time.Since(start) < 30*time.Second {
		resp, err := client.Get("http://" + api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				wall = time.Since(start)
				return wall, runTime(cmd.Process.Pid), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, 0, errors.New("not ready within 30 s")
}

// runTime sums the time every thread of pid has run on a CPU
// (/proc/PID/task/*/schedstat, in nanoseconds).
func runTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		ns, _ := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
		total += time.Duration(ns)
	}
	return total
}

// freeAddr returns a loopback address nobody listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
