// Package request decodes and checks the JSON bodies and query strings of
// keygate's API, and names the type of every body it accepts. It is apart
// from package api so that its fuzz targets build without a database.
package request

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/keygate/keygate"
)

// Decode decodes a JSON body into dst, which must be a pointer. It refuses
// a body that is not JSON or holds more than one value (bad_request), and
// values of the wrong type, fields dst does not have (matched exactly, not
// case-insensitively), text that is not valid UTF-8 or holds NUL, or
// malformed times (invalid_field, naming the field). On error dst may be
// partly filled and must not be used.
func Decode(body []byte, dst any) error {
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
	var typeErr *json.UnmarshalTypeError
	switch {
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

// fieldError is Paddle's invalid_field answer about one field.
func fieldError(field, message string) error {
	return &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
		Fields: []keygate.FieldError{{Field: field, Message: message}}}
}
