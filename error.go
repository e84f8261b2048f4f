package keygate

import (
	"errors"
	"fmt"
)

// Error codes. They are Paddle's error codes (spec section 5), so that a
// client written for Paddle recognises them; api/error.go maps each to its
// HTTP status. The set is closed: anything else is CodeInternal.
const (
	CodeInvalidField        = "invalid_field"                           // 400: the request fails validation; see Error.Fields
	CodeBadRequest          = "bad_request"                             // 400: the request cannot be read
	CodeNotFound            = "not_found"                               // 404: no such entity in the caller's account
	CodeConflict            = "conflict"                                // 409: the entity's state does not allow the change
	CodeForbidden           = "forbidden"                               // 403: the credential lacks the permission
	CodeInvalidToken        = "invalid_token"                           // 403: the API key is not valid here and now
	CodeInternal            = "internal_error"                          // 500: anything unexpected; details are only logged
	CodeServiceUnavailable  = "service_unavailable"                     // 503: the database can't be reached; retry after Retry-After
	CodeCannotReactivate    = "api_key_cannot_be_reactivated"           // 400: keygate's own, see docs/decisions.md
	CodeCannotBeRotated     = "api_key_cannot_be_rotated"               // 400
	CodeAuthMissing         = "authentication_missing"                  // 403
	CodeAuthMalformed       = "authentication_malformed"                // 403
	CodeInvalidClientToken  = "invalid_client_token"                    // 403
	CodeTooManyRequests     = "too_many_requests"                       // 429
	CodeCannotReplay        = "notification_cannot_replay"              // 400
	CodeReplayInvalidOrigin = "notification_replay_invalid_origin_type" // 400
)

// Error is keygate's error: a Paddle error code, a message that is safe to
// show to the caller, per-field problems for CodeInvalidField, and the
// wrapped cause, which is only ever logged.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
	Err     error
}

// FieldError is one validation problem, in Paddle's shape: the field's name
// as it appears on the wire, and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error implements the error interface. It includes the cause, so it is for
// logs; show callers Message.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	for _, f := range e.Fields {
		s += " " + f.Field + ": " + f.Message + ";"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and CodeInternal for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of err: the Message of the
// first *Error in its chain, or "Internal error." for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the field problems of err, if it is an *Error.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// validation collects field problems; its err is nil when there are none.
type validation []FieldError

func (v *validation) add(field, format string, args ...any) {
	*v = append(*v, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v validation) err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalidField, Message: "Request does not pass validation.", Fields: v}
}

// NotFound returns the CodeNotFound error Paddle gives for an entity ID that
// does not exist in the caller's account: "Entity <id> not found".
func NotFound(id string) *Error {
	return Errorf(CodeNotFound, "Entity %s not found", id)
}
