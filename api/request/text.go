package request

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/wire"
)

// checkJSON checks a syntactically valid JSON body against dst's type
// before it is decoded, where encoding/json would be lenient: every string
// is valid UTF-8 without NUL (invalid bytes would otherwise be replaced,
// and a NUL reaches PostgreSQL, which refuses it), every object key names a
// field exactly (encoding/json matches "NAME" to name), and times parse.
// Problems are invalid_field naming the field as the wire does
// ("user.email").
func checkJSON(raw []byte, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		if !validText(raw) {
			return fieldError(orBody(path), "must be valid UTF-8 text without NUL characters")
		}
		if t == reflect.TypeFor[wire.Time]() {
			var v wire.Time
			if json.Unmarshal(raw, &v) != nil {
				return fieldError(orBody(path), "must be an RFC 3339 date and time, such as 2026-12-31T23:59:59Z")
			}
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil // the decoder reports it
		}
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for _, it := range items {
			if err := checkJSON(it, elem, path); err != nil {
				return err
			}
		}
	case '{':
		return checkObject(raw, t, path)
	}
	return nil
}

// checkObject checks each member of a JSON object; when t is a struct,
// each key must be the exact JSON name of one of its fields.
func checkObject(raw []byte, t reflect.Type, path string) error {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return nil
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := map[string]reflect.Type{}
	isStruct := t != nil && t.Kind() == reflect.Struct
	if isStruct {
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
	}
	for _, k := range keys {
		name := k
		if path != "" {
			name = path + "." + k
		}
		if !utf8.ValidString(k) || strings.ContainsRune(k, 0) || strings.ContainsRune(k, utf8.RuneError) {
			// (encoding/json has already replaced invalid bytes with U+FFFD)
			return fieldError(orBody(path), "has a field name that is not valid UTF-8 text")
		}
		var ft reflect.Type
		if isStruct {
			var ok bool
			if ft, ok = fields[k]; !ok {
				return fieldError(name, "is not a field of this request")
			}
		} else if t != nil && t.Kind() == reflect.Map {
			ft = t.Elem()
		}
		if err := checkJSON(members[k], ft, name); err != nil {
			return err
		}
	}
	return nil
}

// validText reports whether a raw JSON string literal is valid UTF-8 and
// holds no NUL, escaped or not.
func validText(lit []byte) bool {
	if !utf8.Valid(lit) {
		return false
	}
	var s string
	if json.Unmarshal(lit, &s) != nil {
		return false
	}
	return !strings.ContainsRune(s, 0) && !strings.ContainsRune(s, utf8.RuneError)
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// CheckQuery refuses query parameters that are not valid UTF-8 text
// without NUL (cursors, filters): invalid_field naming the parameter.
func CheckQuery(q url.Values) error {
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range append([]string{name}, q[name]...) {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
					Fields: []keygate.FieldError{{Field: strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), ""), Message: "must be valid UTF-8 text without NUL characters"}}}
			}
		}
	}
	return nil
}
