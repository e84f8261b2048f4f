package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/keygate/keygate"
)

// Codes of the HTTP layer that are not domain codes.
const (
	codeInvalidURL      = "invalid_url"
	codeBodyTooLarge    = "request_body_too_large"
	codeTooManyRequests = keygate.CodeTooManyRequests
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
	codeInvalidURL:                  http.StatusNotFound,
	codeBodyTooLarge:                http.StatusRequestEntityTooLarge,
	keygate.CodeCannotReplay:        http.StatusBadRequest,
	keygate.CodeReplayInvalidOrigin: http.StatusBadRequest,
}

// apiErrorCodes are the codes Paddle types api_error (a fault on the
// server's side); every other code is a request_error.
var apiErrorCodes = map[string]bool{keygate.CodeInternal: true, keygate.CodeTooManyRequests: true}

// docsGroups names the section of Paddle's error docs a code is under;
// codes not listed are under "shared".
var docsGroups = map[string]string{
	keygate.CodeCannotBeRotated:     "api_keys",
	keygate.CodeCannotReactivate:    "api_keys",
	keygate.CodeCannotReplay:        "notifications",
	keygate.CodeReplayInvalidOrigin: "notifications",
}

// errorBody is Paddle's error object.
type errorBody struct {
	Type             string               `json:"type"`
	Code             string               `json:"code"`
	Detail           string               `json:"detail"`
	DocumentationURL string               `json:"documentation_url"`
	Errors           []keygate.FieldError `json:"errors,omitempty"`
}

// writeError renders err in Paddle's error envelope. Only internal errors
// are logged, with their cause; their detail is never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := keygate.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		code, status = keygate.CodeInternal, http.StatusInternalServerError
	}
	detail := keygate.ErrorMessage(err)
	if code == keygate.CodeInternal {
		detail = "An internal error has occurred. The keygate operator has been notified."
		s.logger.ErrorContext(r.Context(), "internal error", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	typ := "request_error"
	if apiErrorCodes[code] {
		typ = "api_error"
	}
	group := docsGroups[code]
	if group == "" {
		group = "shared"
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(rl.retryAfter))
	}
	s.writeJSON(w, r, status, struct {
		Error errorBody `json:"error"`
		Meta  meta      `json:"meta"`
	}{
		Error: errorBody{Type: typ, Code: code, Detail: detail, DocumentationURL: s.cfg.DocsURL + "/errors/" + group + "/" + code, Errors: keygate.ErrorFields(err)},
		Meta:  meta{RequestID: requestID(r)},
	})
}

// errInvalidURL answers a path or method keygate does not serve.
var errInvalidURL = &keygate.Error{Code: codeInvalidURL, Message: "URL called is invalid."}

// fieldError is a CodeInvalidField error about one field.
func fieldError(field, message string) error {
	return &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
		Fields: []keygate.FieldError{{Field: field, Message: message}}}
}
