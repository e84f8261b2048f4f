package fuzz_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
)

// FuzzDecode decodes any body into every body type the API accepts: it
// never panics; a refusal is bad_request, or invalid_field naming a field
// in valid UTF-8; and what is accepted holds only valid UTF-8 text without
// NUL, so that nothing the API stores can be refused by PostgreSQL later.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"name":"CRM","permissions":["customer.read"],"expires_at":"2027-01-01T00:00:00Z"}`,
		`{"NAME":"x"}`, `{"name":"a\u0000b"}`, "{\"name\":\"\xff\"}", `{"expires_at":"tomorrow"}`, `{"grace_period_seconds":60}`,
		`{"user":{"email":"a@example.com"},"business":{"name":"\u0000"}}`, `{"status":"revoked"}`, `[]`, `{} {}`, `{"a":`, ``,
		`{"subscribed_events":["api_key.created"],"destination":"https://example.com","type":"url"}`, `{"name":1}`} {
		f.Add([]byte(s))
	}
	codes := []string{keygate.CodeBadRequest, keygate.CodeInvalidField}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range request.All() {
			err := request.Decode(body, dst)
			if err != nil {
				require.Contains(t, codes, keygate.ErrorCode(err), "%q into %T: %v", body, dst, err)
				var kerr *keygate.Error
				if keygate.ErrorCode(err) == keygate.CodeInvalidField {
					require.ErrorAs(t, err, &kerr)
					for _, fe := range kerr.Fields {
						require.True(t, utf8.ValidString(fe.Field), "field name %q", fe.Field)
					}
				}
				continue
			}
			out, merr := json.Marshal(dst)
			require.NoError(t, merr)
			require.True(t, utf8.Valid(out), "%q into %T", body, dst)
			require.False(t, bytes.Contains(out, []byte(`\u0000`)), "%q into %T kept a NUL: %s", body, dst, out)
			require.False(t, bytes.ContainsRune(out, utf8.RuneError), "%q into %T kept invalid UTF-8: %s", body, dst, out)
		}
	})
}
