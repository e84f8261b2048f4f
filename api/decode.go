package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/wire"
)

// MaxBodyBytes is the largest request body read; a larger one is refused
// without being read whole.
const MaxBodyBytes = 1 << 20

var errBodyTooLarge = &keygate.Error{Code: wire.CodeBodyTooLarge, Message: "Request body is larger than 1 MiB."}

// decode reads the JSON body of r into dst, which must be a pointer. It
// refuses bodies that are not application/json (bad_request) or larger than
// MaxBodyBytes (request_body_too_large); request.Decode checks the rest.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the Content-Type must be application/json.")
	}
	if r.ContentLength > MaxBodyBytes {
		return errBodyTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
			return errBodyTooLarge
		}
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the body could not be read.")
	}
	return request.Decode(body, dst)
}
