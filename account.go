package keygate

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Account is a seller: the tenant that owns users, keys, tokens, events and
// notification settings. It lives in one environment.
type Account struct {
	ID          string // "acc_…"
	Environment Environment
	Name        string
	// PartnerID is the partner that created the account, if one did.
	PartnerID string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AccountCreate is what creating an account takes.
type AccountCreate struct {
	Environment Environment
	Name        string
}

// Validate checks an account to be created.
func (c AccountCreate) Validate() error {
	var v validation
	if !c.Environment.Valid() {
		v.add("environment", "must be one of live, sandbox")
	}
	validateText(&v, "name", c.Name, 1, 300)
	return v.err()
}

// User is a person who signs in to an account's dashboard.
type User struct {
	ID           string // "usr_…"
	AccountID    string
	Environment  Environment
	Email        string // lower-cased; unique within an environment
	PasswordHash string // argon2id, PHC string format; "" when the user has no password
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Password length bounds for dashboard users.
const (
	PasswordMinLen = 8
	PasswordMaxLen = 128
)

// UserCreate is what creating a user takes.
type UserCreate struct {
	AccountID string
	Email     string
	Password  string
}

// Validate checks a user to be created, and returns the e-mail address in the
// form it is stored in (trimmed, lower-cased).
func (c UserCreate) Validate() (email string, err error) {
	var v validation
	email = NormalizeEmail(c.Email)
	if a, perr := mail.ParseAddress(email); perr != nil || a.Address != email || len(email) > 320 {
		v.add("email", "must be a valid e-mail address")
	}
	if n := utf8.RuneCountInString(c.Password); n < PasswordMinLen || n > PasswordMaxLen {
		v.add("password", "must be between %d and %d characters", PasswordMinLen, PasswordMaxLen)
	}
	return email, v.err()
}

// NormalizeEmail returns email as it is stored and compared: trimmed and
// lower-cased.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validateText checks that s has between min and max characters.
func validateText(v *validation, field, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.add(field, "must be valid UTF-8")
	case n < min || n > max:
		v.add(field, "must be between %d and %d characters", min, max)
	case strings.TrimSpace(s) == "" && min > 0:
		v.add(field, "must not be blank")
	}
}

// Session is a signed-in dashboard session. Its token, the cookie's value,
// is never stored: only its SHA-256.
type Session struct {
	TokenHash   []byte
	UserID      string
	AccountID   string
	Environment Environment
	// CSRFToken must accompany every form the session posts.
	CSRFToken string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// SessionLifetime is how long a dashboard session lasts.
const SessionLifetime = 12 * time.Hour
