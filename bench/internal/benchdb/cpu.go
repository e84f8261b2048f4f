package benchdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU is the processor time a bench command has used: its own process's
// and, on PostgreSQL, that of the server backends serving its connections
// (found by their application_name; the server's WAL writer and other
// background processes are not counted).
type CPU struct {
	Self, Server time.Duration
}

// Sub returns c - o.
func (c CPU) Sub(o CPU) CPU { return CPU{Self: c.Self - o.Self, Server: c.Server - o.Server} }

// Total is Self + Server.
func (c CPU) Total() time.Duration { return c.Self + c.Server }

// appName is the application_name of this process's connections to the
// store named name, so that ReadCPU finds their backends.
func appName(name string) string {
	return "keygate-bench-" + name + "-" + strconv.Itoa(os.Getpid())
}

// ReadCPU returns the CPU used so far by this process and, if pgURL is set,
// by the backends of the stores Opener(…, name) opened. A backend that
// ended is no longer counted: read it while the stores are open.
func ReadCPU(ctx context.Context, pgURL, name string) (CPU, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return CPU{}, err
	}
	c := CPU{Self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if pgURL == "" {
		return c, nil
	}
	db, err := sql.Open("pgx", pgURL)
	if err != nil {
		return c, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, appName(name))
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return c, err
		}
		t, err := procCPU(pid)
		if err != nil {
			return c, fmt.Errorf("backend %d: %w (is the server on this machine?)", pid, err)
		}
		c.Server += t
	}
	return c, rows.Err()
}

// procCPU reads a process's user and system time from /proc (ticks of
// 1/100 s).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// StartCPUProfile writes a CPU profile to path until the returned function
// is called; with path "" it does nothing.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
