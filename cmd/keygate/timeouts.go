package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// serverLimits are the timeouts and header limit of every server keygate
// runs (APIs, dashboards, metrics, verify), so that a slow or idle client
// cannot hold a connection for ever.
type serverLimits struct {
	readHeader, read, write, idle time.Duration
	maxHeaderBytes                int
}

// validateLimits checks and parses the servers' timeouts.
func (c *Config) validateLimits() []error {
	var errs []error
	for _, d := range []struct {
		env, v string
		dst    *time.Duration
	}{
		{"KEYGATE_READ_HEADER_TIMEOUT", c.ReadHeaderTimeout, &c.limits.readHeader}, {"KEYGATE_READ_TIMEOUT", c.ReadTimeout, &c.limits.read},
		{"KEYGATE_WRITE_TIMEOUT", c.WriteTimeout, &c.limits.write}, {"KEYGATE_IDLE_TIMEOUT", c.IdleTimeout, &c.limits.idle},
	} {
		if v, err := time.ParseDuration(d.v); err != nil || v <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30s", d.env, d.v))
		} else {
			*d.dst = v
		}
	}
	if n, err := strconv.Atoi(c.MaxHeaderBytes); err != nil || n < 4096 {
		errs = append(errs, fmt.Errorf("KEYGATE_MAX_HEADER_BYTES: %q is not a whole number of bytes, at least 4096", c.MaxHeaderBytes))
	} else {
		c.limits.maxHeaderBytes = n
	}
	return errs
}

// server returns an http.Server for h with the limits. A surface that
// streams (an API proxying to an upstream) gets no write timeout, which
// would cut long answers; its reads are still bounded.
func (l serverLimits) server(h http.Handler, streams bool, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: l.readHeader, ReadTimeout: l.read, WriteTimeout: l.write, IdleTimeout: l.idle,
		MaxHeaderBytes: l.maxHeaderBytes, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if streams {
		srv.WriteTimeout = 0
	}
	return srv
}
