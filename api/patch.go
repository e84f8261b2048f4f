package api

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/keygate/keygate"
)

// patch reads a PATCH body field by field, so that absent and null differ
// from given, and collects every problem.
type patch struct {
	seen     map[string]bool
	problems []keygate.FieldError
}

// field decodes fields[name], if present, into a new value that *dst then
// points to; a null or mistyped value is a problem named msg.
func field[T any](p *patch, fields map[string]json.RawMessage, name string, dst **T, msg string) {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[name] = true
	raw, ok := fields[name]
	if !ok {
		return
	}
	v := new(T)
	if string(raw) == "null" || json.Unmarshal(raw, v) != nil {
		p.bad(name, msg)
		return
	}
	*dst = v
}

// bad records a problem with a field.
func (p *patch) bad(name, msg string) {
	p.problems = append(p.problems, keygate.FieldError{Field: name, Message: msg})
}

// finish reports every problem, including fields that are not part of the
// request, sorted by field.
func (p *patch) finish(fields map[string]json.RawMessage) error {
	for name := range fields {
		if !p.seen[name] {
			p.bad(name, "is not a field of this request")
		}
	}
	if len(p.problems) == 0 {
		return nil
	}
	slices.SortFunc(p.problems, func(a, b keygate.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.", Fields: p.problems}
}
