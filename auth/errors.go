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
