package auth

import "github.com/keygate/keygate"

// The errors Authenticate returns, with Paddle's codes and detail texts.
// They are shared values: callers must not modify them.
var (
	ErrMissing      = &keygate.Error{Code: keygate.CodeAuthMissing, Message: "Authentication header missing."}
	ErrMalformed    = &keygate.Error{Code: keygate.CodeAuthMalformed, Message: "Authentication header included, but incorrectly formatted."}
	ErrInvalidToken = &keygate.Error{Code: keygate.CodeInvalidToken, Message: "Invalid or revoked API key."}
	ErrForbidden    = &keygate.Error{Code: keygate.CodeForbidden, Message: "You aren't permitted to perform this request."}
	// ErrPartnerKey refuses a partner key anywhere but the partner routes.
	ErrPartnerKey = &keygate.Error{Code: keygate.CodeForbidden, Message: "A partner key may only create and validate seller accounts (POST /accounts, POST /accounts/validate), with its Paddle-PartnerID."}
)

// ErrUnavailable is the error of a credential that is not cached when the
// store can't be read (a database outage): 503 service_unavailable, with
// Retry-After. Cached credentials keep working for StaleAfter meanwhile.
var ErrUnavailable error = &unavailable{&keygate.Error{Code: keygate.CodeServiceUnavailable,
	Message: "keygate can't reach its database to check this credential. Retry after the number of seconds in the Retry-After header."}}

// unavailable carries Retry-After.
type unavailable struct{ err *keygate.Error }

func (e *unavailable) Error() string          { return e.err.Error() }
func (e *unavailable) Unwrap() error          { return e.err }
func (e *unavailable) RetryAfterSeconds() int { return 5 }
