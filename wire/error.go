package wire

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/keygate/keygate"
)

// Codes of the HTTP layer that are not domain codes.
const (
	CodeInvalidURL   = "invalid_url"
	CodeBodyTooLarge = "request_body_too_large"
	CodeBadGateway   = "bad_gateway"
	// CodeUnauthorized refuses a secret-scanning report that is unsigned,
	// badly signed, or without the operator's revocation token.
	CodeUnauthorized = "unauthorized"
)

// statuses is the only place that maps an error code to an HTTP status, as
// Paddle's API answers (spec section 5.2). A code that is not here is 500.
var statuses = map[string]int{
	keygate.CodeInvalidField:        http.StatusBadRequest,
	keygate.CodeBadRequest:          http.StatusBadRequest,
	keygate.CodeNotFound:            http.StatusNotFound,
	keygate.CodeConflict:            http.StatusConflict,
	keygate.CodeForbidden:           http.StatusForbidden,
	keygate.CodeInvalidToken:        http.StatusForbidden,
	keygate.CodeAuthMissing:         http.StatusForbidden,
	keygate.CodeAuthMalformed:       http.StatusForbidden,
	keygate.CodeInvalidClientToken:  http.StatusForbidden,
	keygate.CodeCannotReactivate:    http.StatusBadRequest,
	keygate.CodeCannotBeRotated:     http.StatusBadRequest,
	keygate.CodeTooManyRequests:     http.StatusTooManyRequests,
	keygate.CodeInternal:            http.StatusInternalServerError,
	keygate.CodeServiceUnavailable:  http.StatusServiceUnavailable,
	keygate.CodeCannotReplay:        http.StatusBadRequest,
	keygate.CodeReplayInvalidOrigin: http.StatusBadRequest,
	CodeInvalidURL:                  http.StatusNotFound,
	CodeBodyTooLarge:                http.StatusRequestEntityTooLarge,
	CodeBadGateway:                  http.StatusBadGateway,
	CodeUnauthorized:                http.StatusUnauthorized,
}

// apiErrorCodes are the codes Paddle types api_error (a fault on the
// server's side); every other code is a request_error.
var apiErrorCodes = map[string]bool{keygate.CodeInternal: true, keygate.CodeTooManyRequests: true, CodeBadGateway: true, keygate.CodeServiceUnavailable: true}

// docsGroups names the section of Paddle's error docs a code is under;
// codes not listed are under "shared".
var docsGroups = map[string]string{
	keygate.CodeCannotBeRotated:     "api_keys",
	keygate.CodeCannotReactivate:    "api_keys",
	keygate.CodeCannotReplay:        "notifications",
	keygate.CodeReplayInvalidOrigin: "notifications",
}

// ErrorStatus returns the HTTP status of err and its code: the code of a
// *keygate.Error, or internal_error for anything else.
func ErrorStatus(err error) (status int, code string) {
	code = keygate.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		return http.StatusInternalServerError, keygate.CodeInternal
	}
	return status, code
}

// ErrorBody is Paddle's error object.
type ErrorBody struct {
	Type             string               `json:"type"`
	Code             string               `json:"code"`
	Detail           string               `json:"detail"`
	DocumentationURL string               `json:"documentation_url"`
	Errors           []keygate.FieldError `json:"errors,omitempty"`
}

// Meta is Paddle's meta object.
type Meta struct {
	RequestID  string      `json:"request_id"`
	Pagination *Pagination `json:"pagination,omitempty"`
}

// Pagination is Paddle's meta.pagination.
type Pagination struct {
	PerPage        int    `json:"per_page"`
	Next           string `json:"next"`
	HasMore        bool   `json:"has_more"`
	EstimatedTotal int    `json:"estimated_total"`
}

// RetryAfter is implemented by errors that tell the client when to retry;
// WriteError sends it as Retry-After.
type RetryAfter interface {
	RetryAfterSeconds() int
}

// WriteError writes err in Paddle's error envelope, with the request's ID
// and a documentation_url under docsURL. The detail of an internal error
// is never shown: log err before calling it.
func WriteError(w http.ResponseWriter, r *http.Request, docsURL string, err error) {
	status, code := ErrorStatus(err)
	detail := keygate.ErrorMessage(err)
	switch code {
	case keygate.CodeInternal:
		detail = "An internal error has occurred. The keygate operator has been notified."
	case CodeBadGateway:
		detail = "Endpoint can't process your request. The operator has been notified."
	}
	typ := "request_error"
	if apiErrorCodes[code] {
		typ = "api_error"
	}
	group := docsGroups[code]
	if group == "" {
		group = "shared"
	}
	var ra RetryAfter
	if errors.As(err, &ra) {
		w.Header().Set("Retry-After", strconv.Itoa(ra.RetryAfterSeconds()))
	}
	WriteJSON(w, status, struct {
		Error ErrorBody `json:"error"`
		Meta  Meta      `json:"meta"`
	}{
		Error: ErrorBody{Type: typ, Code: code, Detail: detail, DocumentationURL: strings.TrimSuffix(docsURL, "/") + "/errors/" + group + "/" + code, Errors: keygate.ErrorFields(err)},
		Meta:  Meta{RequestID: RequestID(r)},
	})
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"type":"api_error","code":"internal_error","detail":"An internal error has occurred."}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// Request IDs need to be unique, not secret: uuid's pool of randomness
// reads crypto/rand in batches rather than once per request.
func init() { uuid.EnableRandPool() }

type requestIDKey struct{}

// RequestIDHeader is the response header that carries meta.request_id.
const RequestIDHeader = "X-Request-Id"

// WithRequestID gives the request a new request ID (a random UUID), in its
// context and in the response's RequestIDHeader, unless it has one.
func WithRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	if RequestID(r) != "" {
		return r
	}
	id := uuid.NewString()
	w.Header().Set(RequestIDHeader, id)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// RequestID returns the request's ID, or "".
func RequestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}
