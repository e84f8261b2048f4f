package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// MaxBodyBytes is the largest request body read; a larger one is refused
// without being read whole.
const MaxBodyBytes = 1 << 20

var errBodyTooLarge = &keygate.Error{Code: wire.CodeBodyTooLarge, Message: "Request body is larger than 1 MiB."}

// decode reads the JSON body of r into dst, which must be a pointer. It
// refuses bodies that are not application/json (bad_request), larger than
// MaxBodyBytes (request_body_too_large), not JSON (bad_request), or with
// values of the wrong type, fields dst does not have (matched exactly, not
// case-insensitively), text that is not valid UTF-8 or holds NUL, or
// malformed times (invalid_field, naming the field).
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the Content-Type must be application/json.")
	}
	if r.ContentLength > MaxBodyBytes {
		return errBodyTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if json.Valid(body) {
		if err := checkJSON(body, reflect.TypeOf(dst), ""); err != nil {
			return err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the body must hold one JSON object.")
	}
	return nil
}

// decodeError turns a JSON decoding error into Paddle's answer.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return errBodyTooLarge
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fieldError(typeErr.Field, "must be "+jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldError(field, "is not a field of this request")
	case errors.Is(err, io.EOF):
		return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the body is empty.")
	}
	return keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the body is not valid JSON (%s).", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names a Go kind as the JSON type a client should send.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return fmt.Sprintf("of type %s", kind)
}
