package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/sqlite"
)

// Config is keygate's configuration. It is built in one place: defaults,
// then KEYGATE_* variables, then flags; then validated once, with every
// problem reported together.
type Config struct {
	// DatabaseURL selects the store: "" for SQLite under DataDir, or a
	// postgres:// URL.
	DatabaseURL string
	DataDir     string
	// Addresses of the four surfaces.
	LiveAPIAddr          string
	SandboxAPIAddr       string
	LiveDashboardAddr    string
	SandboxDashboardAddr string
}

// DefaultConfig returns the configuration with nothing set: SQLite under
// ./keygate-data and every surface on loopback.
func DefaultConfig() Config {
	return Config{
		DataDir:              "keygate-data",
		LiveAPIAddr:          "127.0.0.1:8080",
		SandboxAPIAddr:       "127.0.0.1:8081",
		LiveDashboardAddr:    "127.0.0.1:8090",
		SandboxDashboardAddr: "127.0.0.1:8091",
	}
}

// setting ties a field to its variable and flag.
type setting struct {
	field *string
	env   string
	flag  string
	usage string
}

func (c *Config) storeSettings() []setting {
	return []setting{
		{&c.DatabaseURL, "KEYGATE_DATABASE_URL", "database-url", "PostgreSQL URL (postgres://…); unset for SQLite"},
		{&c.DataDir, "KEYGATE_DATA_DIR", "data-dir", "directory of the SQLite database and generated secrets"},
	}
}

func (c *Config) addrSettings() []setting {
	return []setting{
		{&c.LiveAPIAddr, "KEYGATE_LIVE_API_ADDR", "live-api-addr", "address of the live API"},
		{&c.SandboxAPIAddr, "KEYGATE_SANDBOX_API_ADDR", "sandbox-api-addr", "address of the sandbox API"},
		{&c.LiveDashboardAddr, "KEYGATE_LIVE_DASHBOARD_ADDR", "live-dashboard-addr", "address of the live dashboard"},
		{&c.SandboxDashboardAddr, "KEYGATE_SANDBOX_DASHBOARD_ADDR", "sandbox-dashboard-addr", "address of the sandbox dashboard"},
	}
}

// bind applies the environment to settings and registers their flags, whose
// defaults are then the environment's values: a flag given wins.
func bind(fs *flag.FlagSet, getenv func(string) string, settings []setting) {
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			*s.field = v
		}
		fs.StringVar(s.field, s.flag, *s.field, s.usage+" ($"+s.env+")")
	}
}

// Validate checks the configuration and returns every problem at once, each
// naming its variable.
func (c *Config) Validate(withAddrs bool) error {
	var errs []error
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("KEYGATE_DATABASE_URL: must be a postgres:// URL, or unset for SQLite"))
	}
	if c.DatabaseURL == "" && strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("KEYGATE_DATA_DIR: must not be empty when KEYGATE_DATABASE_URL is unset"))
	}
	if withAddrs {
		seen := map[string]string{}
		for _, s := range c.addrSettings() {
			if _, port, err := net.SplitHostPort(*s.field); err != nil || port == "" {
				errs = append(errs, fmt.Errorf("%s: %q is not a host:port address", s.env, *s.field))
			} else if other, dup := seen[*s.field]; dup && port != "0" {
				errs = append(errs, fmt.Errorf("%s: %q is already the address of %s", s.env, *s.field, other))
			}
			seen[*s.field] = s.env
		}
	}
	if len(errs) > 0 {
		return &configError{errs: errs}
	}
	return nil
}

// configError lists every configuration problem, one per line.
type configError struct{ errs []error }

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, err := range e.errs {
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

// openStore opens the configured store, applying pending migrations.
func openStore(ctx context.Context, c *Config) (keygate.Store, []string, error) {
	if c.DatabaseURL != "" {
		db, err := postgres.Open(ctx, c.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		return db, db.Applied, nil
	}
	db, err := sqlite.Open(ctx, filepath.Join(c.DataDir, sqlite.FileName))
	if err != nil {
		return nil, nil, err
	}
	return db, db.Applied, nil
}
