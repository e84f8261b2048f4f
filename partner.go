package keygate

import (
	"encoding/json"
	"strings"
	"time"
)

// Partner is a platform that creates seller accounts by API (Paddle's
// embedded billing). Its key is a psk_ key with every permission; its ID,
// pid_…, travels in the Paddle-PartnerID header.
type Partner struct {
	ID          string // "pid_…"
	Environment Environment
	Name        string
	// AllowedDomains are the hosts (and their subdomains) from which a
	// magic-session link may be followed.
	AllowedDomains []string
	// KeyID is the partner key's entity ID ("psk_…"); KeyHash the SHA-256
	// of its secret.
	KeyID     string
	KeyHash   []byte
	CreatedAt time.Time
}

// PartnerCreate is what creating a partner takes.
type PartnerCreate struct {
	Environment    Environment
	Name           string
	AllowedDomains []string
}

// Validate checks c and returns its domains normalised (lower case, no
// duplicates).
func (c PartnerCreate) Validate() (PartnerCreate, error) {
	var v validation
	if !c.Environment.Valid() {
		v.add("environment", "must be one of live, sandbox")
	}
	validateText(&v, "name", c.Name, 1, 300)
	var domains []string
	for _, d := range c.AllowedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if !validHost(d) {
			v.add("allowed_domains", "%q is not a domain name", d)
			continue
		}
		domains = append(domains, d)
	}
	c.AllowedDomains = domains
	return c, v.err()
}

// validHost reports whether d looks like a host name: labels of letters,
// digits and hyphens, separated by dots.
func validHost(d string) bool {
	if d == "" || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// SellerCreate is what a partner sends to create a seller (POST /accounts):
// the primary user and the business, in Paddle's shape.
type SellerCreate struct {
	FirstName, LastName, Email string
	MarketingConsent           bool
	// Password is optional: without one, the seller signs in by magic link.
	Password *string
	// BusinessName names the account; Business is the whole business object
	// as sent, kept for the onboarding page.
	BusinessName string
	// BusinessType is individual, private or public; StockTicker is required
	// (1 to 10 characters) for a public one.
	BusinessType *string
	StockTicker  *string
	Business     json.RawMessage
}

// Validate checks a seller to be created, reporting every problem with
// Paddle's field paths (user.email, business.name).
func (c SellerCreate) Validate() error {
	var v validation
	validateText(&v, "user.first_name", c.FirstName, 1, 50)
	validateText(&v, "user.last_name", c.LastName, 1, 50)
	if _, err := (UserCreate{Email: c.Email, Password: "placeholder-long-enough"}).Validate(); err != nil {
		v.add("user.email", "must be a valid e-mail address")
	}
	if c.Password != nil && (len(*c.Password) > PasswordMaxLen || len(*c.Password) < PasswordMinLen) {
		v.add("user.password", "must be between %d and %d characters", PasswordMinLen, PasswordMaxLen)
	}
	validateText(&v, "business.name", c.BusinessName, 1, 300)
	if t := c.BusinessType; t != nil && *t != "individual" && *t != "private" && *t != "public" {
		v.add("business.type", "must be one of individual, private, public")
	} else if t != nil && *t == "public" && (c.StockTicker == nil || len(*c.StockTicker) < 1 || len(*c.StockTicker) > 10) {
		v.add("business.stock_ticker_symbol", "is required for a public business, 1 to 10 characters")
	}
	return v.err()
}
