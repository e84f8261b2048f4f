package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// writeError renders err in Paddle's error envelope (the one table of codes
// and statuses is wire's). Only internal errors are logged, with their cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	_, code := wire.ErrorStatus(err)
	if rec, ok := w.(*statusRecorder); ok {
		rec.errorCode = code
	}
	if code == keygate.CodeInternal {
		s.logger.ErrorContext(r.Context(), "internal error", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	wire.WriteError(w, r, s.cfg.DocsURL, err)
}

// errInvalidURL answers a path or method keygate does not serve.
var errInvalidURL = &keygate.Error{Code: wire.CodeInvalidURL, Message: "URL called is invalid."}

// fieldError is a CodeInvalidField error about one field.
func fieldError(field, message string) error {
	return &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
		Fields: []keygate.FieldError{{Field: field, Message: message}}}
}
