package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/gateway"
	"github.com/keygate/keygate/notify"
	"github.com/keygate/keygate/postgres"
	"github.com/keygate/keygate/secretscan"
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
	// KeyPrefix starts the standard API keys: 2 to 8 lower-case letters,
	// fixed when the database is created.
	KeyPrefix string
	// Addresses of the four surfaces.
	LiveAPIAddr          string
	SandboxAPIAddr       string
	LiveDashboardAddr    string
	SandboxDashboardAddr string
	MetricsAddr          string
	// Public base URLs of the APIs, for links; "" means http://<address>.
	LiveAPIURL    string
	SandboxAPIURL string
	// Public base URLs of the dashboards, for the links keygate prints and
	// sends; "" means http://<address>. https:// makes cookies Secure.
	LiveDashboardURL    string
	SandboxDashboardURL string
	// DocsURL is the base of the documentation_url of errors.
	DocsURL string
	// RateLimit is requests per minute per client IP ("0" turns it off);
	// TrustedProxies are CIDRs or addresses, comma-separated.
	RateLimit      string
	TrustedProxies string
	// EncryptionKey seals destinations' secrets: 32 bytes in base64; "" to
	// use (or make) the key file in DataDir.
	EncryptionKey string
	// SMTPURL and SMTPFrom configure e-mail notifications.
	SMTPURL  string
	SMTPFrom string
	// ExpiryScanInterval is how often keys are checked for expiry notices;
	// RetryBase scales the delivery retry schedules (Paddle's is 1m);
	// DeliveryLease is how long a delivery is claimed for.
	ExpiryScanInterval string
	RetryBase          string
	DeliveryLease      string
	// DeliveryPerDestination bounds the deliveries in flight to one
	// destination at once (notify.Config.PerDestination).
	DeliveryPerDestination string
	// LiveRetries and SandboxRetries are how many times a failed delivery is
	// retried before it fails.
	LiveRetries    string
	SandboxRetries string
	// The gateway: each environment's upstream (none: no gateway), the route
	// map file (default Paddle's operations) and the upstream timeout.
	LiveUpstreamURL    string
	SandboxUpstreamURL string
	RoutesFile         string
	UpstreamTimeout    string
	// WarmKeys is how many of the API keys used most recently serve loads
	// into its cache at start, in the background ("0" turns it off);
	// WarmTime bounds that warm-up.
	WarmKeys string
	WarmTime string
	// VerifyAddr is the address of the verify endpoint; "" turns it off.
	VerifyAddr string
	// LogLevel is debug, info (every request), warn or error.
	LogLevel string
	// Where magic links' payout_settings and retain_settings lead, and
	// whether a link followed without Origin or Referer is accepted.
	PayoutSettingsURL   string
	RetainSettingsURL   string
	MagicAllowNoReferer string
	// Secret scanning: where GitHub's signing keys are read (a URL, or a
	// file of the same JSON), and the token GitLab's revocation requests
	// carry ("" turns the GitLab endpoint off).
	GitHubScanningKeysURL  string
	GitHubScanningKeysFile string
	GitLabRevocationToken  string
	// WebhookAllowPrivate opens webhook delivery to non-public addresses:
	// comma-separated CIDRs, or "all" (tests, closed networks).
	WebhookAllowPrivate string
	// PasswordHashMemory is the memory, in MiB, that password hashing may
	// take at once; PasswordHashWait how long a sign-in waits for a turn.
	PasswordHashMemory string
	PasswordHashWait   string
	// AuditRetention is how long audit entries are kept ("365d", "720h").
	AuditRetention string
	// Every server's timeouts and header limit (see serverLimits).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, MaxHeaderBytes string

	// Parsed by Validate.
	rateLimit                int
	trusted                  []netip.Prefix
	expiryScan               time.Duration
	retryBase                time.Duration
	lease                    time.Duration
	mailer                   *notify.Mailer
	liveRetries, sdbxRetries int
	perDestination           int
	upstreams                map[keygate.Environment]*url.URL
	routes                   *gateway.RouteMap
	upstreamTimeout          time.Duration
	warmKeys                 int
	warmTime                 time.Duration
	logLevel                 slog.Level
	addressPolicy            *keygate.AddressPolicy
	hashBudget               *credential.HashBudget
	limits                   serverLimits
	auditRetention           time.Duration
}

// DefaultConfig returns the configuration with nothing set: SQLite under
// ./keygate-data and every surface on loopback.
func DefaultConfig() Config {
	return Config{
		DataDir:                "keygate-data",
		KeyPrefix:              credential.DefaultKeyPrefix,
		LiveAPIAddr:            "127.0.0.1:8080",
		SandboxAPIAddr:         "127.0.0.1:8081",
		LiveDashboardAddr:      "127.0.0.1:8090",
		SandboxDashboardAddr:   "127.0.0.1:8091",
		MetricsAddr:            "127.0.0.1:8099",
		DocsURL:                api.DefaultDocsURL,
		RateLimit:              strconv.Itoa(api.DefaultRateLimit),
		SMTPFrom:               "keygate@localhost",
		ExpiryScanInterval:     "1m",
		RetryBase:              "1m",
		DeliveryLease:          "30s",
		DeliveryPerDestination: strconv.Itoa(notify.DefaultPerDestination),
		LiveRetries:            strconv.Itoa(keygate.LiveRetries.Retries),
		SandboxRetries:         strconv.Itoa(keygate.SandboxRetries.Retries),
		WarmKeys:               "1000000",
		WarmTime:               "60s",
		UpstreamTimeout:        "30s",
		LogLevel:               "info",
		GitHubScanningKeysURL:  secretscan.DefaultGitHubKeysURL,
		PasswordHashMemory:     strconv.Itoa(credential.DefaultHashBudget >> 20),
		PasswordHashWait:       credential.DefaultHashWait.String(),
		ReadHeaderTimeout:      "10s",
		ReadTimeout:            "60s",
		WriteTimeout:           "60s",
		IdleTimeout:            "120s",
		MaxHeaderBytes:         strconv.Itoa(64 << 10),
		AuditRetention:         "365d",
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
		{&c.KeyPrefix, "KEYGATE_KEY_PREFIX", "key-prefix", "prefix of the API keys (2 to 8 lower-case letters), fixed when the database is created"},
	}
}

func (c *Config) addrSettings() []setting {
	return []setting{
		{&c.LiveAPIAddr, "KEYGATE_LIVE_API_ADDR", "live-api-addr", "address of the live API"},
		{&c.SandboxAPIAddr, "KEYGATE_SANDBOX_API_ADDR", "sandbox-api-addr", "address of the sandbox API"},
		{&c.LiveDashboardAddr, "KEYGATE_LIVE_DASHBOARD_ADDR", "live-dashboard-addr", "address of the live dashboard"},
		{&c.SandboxDashboardAddr, "KEYGATE_SANDBOX_DASHBOARD_ADDR", "sandbox-dashboard-addr", "address of the sandbox dashboard"},
		{&c.MetricsAddr, "KEYGATE_METRICS_ADDR", "metrics-addr", "address of Prometheus metrics (/metrics)"},
	}
}

func (c *Config) serveSettings() []setting {
	return []setting{
		{&c.LiveAPIURL, "KEYGATE_LIVE_API_URL", "live-api-url", "public base URL of the live API (default http://<address>)"},
		{&c.SandboxAPIURL, "KEYGATE_SANDBOX_API_URL", "sandbox-api-url", "public base URL of the sandbox API (default http://<address>)"},
		{&c.LiveDashboardURL, "KEYGATE_LIVE_DASHBOARD_URL", "live-dashboard-url", "public base URL of the live dashboard (default http://<address>)"},
		{&c.SandboxDashboardURL, "KEYGATE_SANDBOX_DASHBOARD_URL", "sandbox-dashboard-url", "public base URL of the sandbox dashboard (default http://<address>)"},
		{&c.DocsURL, "KEYGATE_DOCS_URL", "docs-url", "base URL of errors' documentation_url"},
		{&c.RateLimit, "KEYGATE_RATE_LIMIT", "rate-limit", "API requests per minute per client IP; 0 turns the limit off"},
		{&c.TrustedProxies, "KEYGATE_TRUSTED_PROXIES", "trusted-proxies", "comma-separated CIDRs of proxies whose X-Forwarded-For names the client"},
		{&c.EncryptionKey, "KEYGATE_ENCRYPTION_KEY", "encryption-key", "base64 of 32 bytes that seal webhook secrets (default: a key file made in the data directory)"},
		{&c.SMTPURL, "KEYGATE_SMTP_URL", "smtp-url", "SMTP server for e-mail notifications: smtp://[user:password@]host:port or smtps://…"},
		{&c.SMTPFrom, "KEYGATE_SMTP_FROM", "smtp-from", "sender address of e-mail notifications"},
		{&c.ExpiryScanInterval, "KEYGATE_EXPIRY_SCAN_INTERVAL", "expiry-scan-interval", "how often keys are checked for expiry notices"},
		{&c.RetryBase, "KEYGATE_RETRY_BASE", "retry-base", "first retry delay of webhook and e-mail deliveries; later ones grow from it"},
		{&c.DeliveryLease, "KEYGATE_DELIVERY_LEASE", "delivery-lease", "how long a delivery is claimed; after a crash it is retried once this passes"},
		{&c.DeliveryPerDestination, "KEYGATE_DELIVERY_PER_DESTINATION", "delivery-per-destination", "deliveries in flight to one destination at once, per node; more wait their turn, so a slow destination holds no more"},
		{&c.LiveRetries, "KEYGATE_LIVE_RETRIES", "live-retries", "retries of a failed live delivery before it fails (Paddle: 60, within 3 days)"},
		{&c.SandboxRetries, "KEYGATE_SANDBOX_RETRIES", "sandbox-retries", "retries of a failed sandbox delivery before it fails (Paddle: 3, within 15 minutes)"},
		{&c.LiveUpstreamURL, "KEYGATE_LIVE_UPSTREAM_URL", "live-upstream-url", "the operator's live API: requests keygate does not serve are authenticated and proxied there"},
		{&c.SandboxUpstreamURL, "KEYGATE_SANDBOX_UPSTREAM_URL", "sandbox-upstream-url", "the operator's sandbox API, as --live-upstream-url"},
		{&c.RoutesFile, "KEYGATE_ROUTES_FILE", "routes-file", "the gateway's route map: METHOD PATTERN permission|none [client_token] per line (default: Paddle's operations)"},
		{&c.UpstreamTimeout, "KEYGATE_UPSTREAM_TIMEOUT", "upstream-timeout", "how long the gateway waits for the upstream's response headers"},
		{&c.WarmKeys, "KEYGATE_WARM_KEYS", "warm-keys", "how many of the API keys used most recently to load into the cache at start, in the background (bounded by the cache's 1,048,576); 0 turns the warm-up off"},
		{&c.WarmTime, "KEYGATE_WARM_TIME", "warm-time", "how long the warm-up of the cache at start may take at most"},
		{&c.VerifyAddr, "KEYGATE_VERIFY_ADDR", "verify-addr", "address of the verify endpoint (POST /verify) for other services; unset: off"},
		{&c.LogLevel, "KEYGATE_LOG_LEVEL", "log-level", "debug, info (a line per request), warn or error"},
		{&c.PayoutSettingsURL, "KEYGATE_PAYOUT_SETTINGS_URL", "payout-settings-url", "where magic links with redirect=payout_settings lead"},
		{&c.RetainSettingsURL, "KEYGATE_RETAIN_SETTINGS_URL", "retain-settings-url", "where magic links with redirect=retain_settings lead"},
		{&c.GitHubScanningKeysURL, "KEYGATE_GITHUB_SCANNING_KEYS_URL", "github-scanning-keys-url", "where GitHub's secret-scanning signing keys are read"},
		{&c.GitHubScanningKeysFile, "KEYGATE_GITHUB_SCANNING_KEYS_FILE", "github-scanning-keys-file", "a file of GitHub's secret-scanning keys (the same JSON), read instead of the URL"},
		{&c.GitLabRevocationToken, "KEYGATE_GITLAB_REVOCATION_TOKEN", "gitlab-revocation-token", "the token GitLab's secret-detection revocation requests carry; unset: the GitLab endpoint is off"},
		{&c.MagicAllowNoReferer, "KEYGATE_MAGIC_ALLOW_NO_REFERER", "magic-allow-no-referer", "accept magic links followed without an Origin or Referer header (true or false)"},
		{&c.PasswordHashMemory, "KEYGATE_PASSWORD_HASH_MEMORY", "password-hash-memory", "MiB that password hashing (sign-ins) may take at once; each hash takes 64"},
		{&c.PasswordHashWait, "KEYGATE_PASSWORD_HASH_WAIT", "password-hash-wait", "how long a sign-in waits for a turn to hash before it is asked to try again"},
		{&c.ReadHeaderTimeout, "KEYGATE_READ_HEADER_TIMEOUT", "read-header-timeout", "every server: how long a client may take to send a request's headers"},
		{&c.ReadTimeout, "KEYGATE_READ_TIMEOUT", "read-timeout", "every server: how long a client may take to send a whole request, body included (10 MiB gateway bodies need 175 KiB/s at 60s)"},
		{&c.WriteTimeout, "KEYGATE_WRITE_TIMEOUT", "write-timeout", "every server but an API with a gateway (which streams): how long answering a request may take"},
		{&c.IdleTimeout, "KEYGATE_IDLE_TIMEOUT", "idle-timeout", "every server: how long an idle keep-alive connection is kept"},
		{&c.MaxHeaderBytes, "KEYGATE_MAX_HEADER_BYTES", "max-header-bytes", "every server: the largest request headers accepted, in bytes"},
		{&c.AuditRetention, "KEYGATE_AUDIT_RETENTION", "audit-retention", "how long audit-log entries are kept, such as 365d or 2160h (at least 1h)"},
		{&c.WebhookAllowPrivate, "KEYGATE_WEBHOOK_ALLOW_PRIVATE", "webhook-allow-private", "non-public addresses webhooks may reach: comma-separated CIDRs, or all (default: public addresses only)"},
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
	if err := credential.ValidKeyPrefix(c.KeyPrefix); err != nil {
		errs = append(errs, fmt.Errorf("KEYGATE_KEY_PREFIX: %q is not 2 to 8 lower-case letters (a-z)", c.KeyPrefix))
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
	if withAddrs {
		errs = append(errs, c.validateServe()...)
	}
	if len(errs) > 0 {
		return &configError{errs: errs}
	}
	return nil
}

// validateServe checks and parses the settings only serve uses.
func (c *Config) validateServe() []error {
	var errs []error
	n, err := strconv.Atoi(c.RateLimit)
	if err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("KEYGATE_RATE_LIMIT: %q is not a whole number of requests per minute (0 turns the limit off)", c.RateLimit))
	}
	c.rateLimit = n
	c.trusted = nil
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("KEYGATE_TRUSTED_PROXIES: %q is neither a CIDR nor an IP address", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.trusted = append(c.trusted, prefix)
	}
	for _, d := range []struct {
		env, v string
		dst    *time.Duration
	}{{"KEYGATE_EXPIRY_SCAN_INTERVAL", c.ExpiryScanInterval, &c.expiryScan}, {"KEYGATE_RETRY_BASE", c.RetryBase, &c.retryBase}, {"KEYGATE_DELIVERY_LEASE", c.DeliveryLease, &c.lease}, {"KEYGATE_WARM_TIME", c.WarmTime, &c.warmTime}} {
		if v, err := time.ParseDuration(d.v); err != nil || v <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 30s or 5m", d.env, d.v))
		} else {
			*d.dst = v
		}
	}
	if d, err := parseRetention(c.AuditRetention); err != nil {
		errs = append(errs, err)
	} else {
		c.auditRetention = d
	}
	for _, r := range []struct {
		env, v string
		dst    *int
	}{{"KEYGATE_LIVE_RETRIES", c.LiveRetries, &c.liveRetries}, {"KEYGATE_SANDBOX_RETRIES", c.SandboxRetries, &c.sdbxRetries}} {
		if n, err := strconv.Atoi(r.v); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of retries", r.env, r.v))
		} else {
			*r.dst = n
		}
	}
	if n, err := strconv.Atoi(c.DeliveryPerDestination); err != nil || n < 1 {
		errs = append(errs, fmt.Errorf("KEYGATE_DELIVERY_PER_DESTINATION: %q is not a whole number of deliveries, at least 1", c.DeliveryPerDestination))
	} else {
		c.perDestination = n
	}
	if n, err := strconv.Atoi(c.WarmKeys); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("KEYGATE_WARM_KEYS: %q is not a whole number of keys (0 turns the warm-up off)", c.WarmKeys))
	} else {
		c.warmKeys = n
	}
	errs = append(errs, c.validateGateway()...)
	errs = append(errs, c.validateHashBudget()...)
	errs = append(errs, c.validateLimits()...)
	if p, err := keygate.ParseAddressPolicy(c.WebhookAllowPrivate); err != nil {
		errs = append(errs, fmt.Errorf("KEYGATE_WEBHOOK_ALLOW_PRIVATE: %v", err))
	} else {
		c.addressPolicy = p
	}
	if c.MagicAllowNoReferer != "" && c.MagicAllowNoReferer != "true" && c.MagicAllowNoReferer != "false" {
		errs = append(errs, fmt.Errorf("KEYGATE_MAGIC_ALLOW_NO_REFERER: %q is not true or false", c.MagicAllowNoReferer))
	}
	for _, u := range []struct{ env, v string }{{"KEYGATE_PAYOUT_SETTINGS_URL", c.PayoutSettingsURL}, {"KEYGATE_RETAIN_SETTINGS_URL", c.RetainSettingsURL}} {
		if parsed, err := url.Parse(u.v); u.v != "" && (err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "") {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.env, u.v))
		}
	}
	if c.GitHubScanningKeysFile != "" {
		b, err := os.ReadFile(c.GitHubScanningKeysFile)
		if err == nil {
			_, err = secretscan.ParseGitHubKeys(b)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("KEYGATE_GITHUB_SCANNING_KEYS_FILE: %v", err))
		}
	} else if u, err := url.Parse(c.GitHubScanningKeysURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("KEYGATE_GITHUB_SCANNING_KEYS_URL: %q is not an http(s) URL", c.GitHubScanningKeysURL))
	}
	if err := c.logLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
		errs = append(errs, fmt.Errorf("KEYGATE_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.SMTPURL != "" {
		m, err := notify.ParseMailer(c.SMTPURL, c.SMTPFrom)
		if err != nil {
			errs = append(errs, fmt.Errorf("KEYGATE_SMTP_URL: %v", err))
		}
		c.mailer = m
	}
	if c.EncryptionKey != "" {
		if _, err := decodeKey(c.EncryptionKey); err != nil {
			errs = append(errs, fmt.Errorf("KEYGATE_ENCRYPTION_KEY: %v", err))
		}
	}
	for _, u := range []struct{ env, v string }{{"KEYGATE_LIVE_API_URL", c.LiveAPIURL}, {"KEYGATE_SANDBOX_API_URL", c.SandboxAPIURL},
		{"KEYGATE_LIVE_DASHBOARD_URL", c.LiveDashboardURL}, {"KEYGATE_SANDBOX_DASHBOARD_URL", c.SandboxDashboardURL}, {"KEYGATE_DOCS_URL", c.DocsURL}} {
		if u.v == "" && u.env != "KEYGATE_DOCS_URL" {
			continue
		}
		if parsed, err := url.Parse(u.v); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.env, u.v))
		}
	}
	return errs
}

// validateGateway checks and parses the gateway's settings.
func (c *Config) validateGateway() []error {
	var errs []error
	c.upstreams = map[keygate.Environment]*url.URL{}
	for env, raw := range map[keygate.Environment]string{keygate.Live: c.LiveUpstreamURL, keygate.Sandbox: c.SandboxUpstreamURL} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("KEYGATE_%s_UPSTREAM_URL: %q is not an http(s) URL", strings.ToUpper(string(env)), raw))
			continue
		}
		c.upstreams[env] = u
	}
	if d, err := time.ParseDuration(c.UpstreamTimeout); err != nil || d <= 0 {
		errs = append(errs, fmt.Errorf("KEYGATE_UPSTREAM_TIMEOUT: %q is not a positive duration", c.UpstreamTimeout))
	} else {
		c.upstreamTimeout = d
	}
	c.routes = gateway.DefaultRoutes()
	if c.RoutesFile != "" {
		f, err := os.Open(c.RoutesFile)
		if err != nil {
			return append(errs, fmt.Errorf("KEYGATE_ROUTES_FILE: %v", err))
		}
		defer f.Close()
		if c.routes, err = gateway.ParseRoutes(f); err != nil {
			errs = append(errs, fmt.Errorf("KEYGATE_ROUTES_FILE: %s: %v", c.RoutesFile, err))
		}
	}
	if c.VerifyAddr != "" {
		if _, port, err := net.SplitHostPort(c.VerifyAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("KEYGATE_VERIFY_ADDR: %q is not a host:port address", c.VerifyAddr))
		}
	}
	return errs
}

// validateHashBudget checks and parses the password-hashing budget.
func (c *Config) validateHashBudget() []error {
	var errs []error
	mib, err := strconv.Atoi(c.PasswordHashMemory)
	if err != nil || mib < credential.PasswordHashMemory>>20 {
		errs = append(errs, fmt.Errorf("KEYGATE_PASSWORD_HASH_MEMORY: %q is not a whole number of MiB, at least %d (one hash)", c.PasswordHashMemory, credential.PasswordHashMemory>>20))
	}
	wait, err := time.ParseDuration(c.PasswordHashWait)
	if err != nil || wait < 0 {
		errs = append(errs, fmt.Errorf("KEYGATE_PASSWORD_HASH_WAIT: %q is not a duration such as 2s", c.PasswordHashWait))
	}
	if len(errs) == 0 {
		c.hashBudget = credential.NewHashBudget(int64(mib)<<20, wait)
	}
	return errs
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

// openStore opens the configured store, applying pending migrations, and
// checks its key prefix: a new database records KEYGATE_KEY_PREFIX; one
// created with another prefix refuses to open.
func openStore(ctx context.Context, c *Config) (keygate.Store, []string, error) {
	var store keygate.Store
	var applied []string
	if c.DatabaseURL != "" {
		db, err := postgres.Open(ctx, c.DatabaseURL)
		if err != nil {
			return nil, nil, err
		}
		store, applied = db, db.Applied
	} else {
		db, err := sqlite.Open(ctx, filepath.Join(c.DataDir, sqlite.FileName))
		if err != nil {
			return nil, nil, err
		}
		store, applied = db, db.Applied
	}
	got, err := store.KeyPrefix(ctx, c.KeyPrefix)
	if err == nil && got != c.KeyPrefix {
		err = fmt.Errorf("KEYGATE_KEY_PREFIX is %q, but this database was created with the key prefix %q and its keys start with %s_; "+
			"a database's key prefix can't change: set KEYGATE_KEY_PREFIX=%s", c.KeyPrefix, got, got, got)
	}
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, applied, nil
}
