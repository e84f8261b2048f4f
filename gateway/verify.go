package gateway

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// The codes of a verification, as the verify endpoint answers them.
const (
	VerifyValid              = "VALID"
	VerifyInvalidToken       = "INVALID_TOKEN"
	VerifyInvalidClientToken = "INVALID_CLIENT_TOKEN"
	VerifyForbidden          = "FORBIDDEN"
	VerifyMalformed          = "MALFORMED"
)

// verifyCodes maps the verifier's errors to verification codes.
var verifyCodes = map[string]string{
	keygate.CodeInvalidToken:       VerifyInvalidToken,
	keygate.CodeInvalidClientToken: VerifyInvalidClientToken,
	keygate.CodeForbidden:          VerifyForbidden,
	keygate.CodeAuthMalformed:      VerifyMalformed,
	keygate.CodeAuthMissing:        VerifyMalformed,
}

// VerifyRequest is the body of POST /verify.
type VerifyRequest struct {
	// Token is the credential to check, without "Bearer ".
	Token string `json:"token"`
	// Environment is where the token is being used: live or sandbox.
	Environment keygate.Environment `json:"environment"`
	// Permission, if set, must be held.
	Permission keygate.Permission `json:"permission,omitempty"`
	// ClientTokens accepts client-side tokens too.
	ClientTokens bool `json:"client_tokens,omitempty"`
}

// VerifyResponse is the answer of POST /verify: always 200 for a request
// that could be read. A token of the other environment is INVALID_TOKEN,
// exactly as an unknown one.
type VerifyResponse struct {
	Valid     bool               `json:"valid"`
	Code      string             `json:"code"`
	Principal *VerifiedPrincipal `json:"principal,omitempty"`
}

// VerifiedPrincipal is who a valid token (or a valid one lacking the
// permission) acts for.
type VerifiedPrincipal struct {
	AccountID      string               `json:"account_id"`
	CredentialID   string               `json:"credential_id"`
	CredentialKind string               `json:"credential_kind"`
	Environment    keygate.Environment  `json:"environment"`
	Permissions    []keygate.Permission `json:"permissions"`
}

// VerifyHandler serves POST /verify for services that check tokens
// themselves, on an address of its own (KEYGATE_VERIFY_ADDR).
func VerifyHandler(v *auth.Verifier, docsURL string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /verify", func(w http.ResponseWriter, r *http.Request) {
		r = wire.WithRequestID(w, r)
		var req VerifyRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, 16<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			wire.WriteError(w, r, docsURL, keygate.Errorf(keygate.CodeBadRequest, "Invalid request: the body must be a JSON object with token and environment."))
			return
		}
		if !req.Environment.Valid() || (req.Permission != "" && !req.Permission.Known()) {
			wire.WriteError(w, r, docsURL, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
				Fields: []keygate.FieldError{{Field: "environment", Message: "must be live or sandbox; permission, if given, a known permission"}}})
			return
		}
		p, err := v.AuthenticateRule(r.Context(), req.Environment, "Bearer "+req.Token, auth.Rule{Permission: req.Permission, ClientTokens: req.ClientTokens})
		res := VerifyResponse{Valid: err == nil, Code: VerifyValid}
		if err != nil {
			code, ok := verifyCodes[keygate.ErrorCode(err)]
			if !ok {
				wire.WriteError(w, r, docsURL, err)
				return
			}
			res.Code = code
		}
		if err == nil || res.Code == VerifyForbidden {
			res.Principal = verified(v, r, req, p)
		}
		wire.WriteJSON(w, http.StatusOK, res)
	})
	return mux
}

// verified describes the principal; for FORBIDDEN it authenticates again
// without the permission to learn who it is.
func verified(v *auth.Verifier, r *http.Request, req VerifyRequest, p auth.Principal) *VerifiedPrincipal {
	if p.CredentialID == "" {
		var err error
		if p, err = v.Authenticate(r.Context(), req.Environment, "Bearer "+req.Token, 0); err != nil || p.Kind == credential.KindPartnerKey {
			return nil // a partner key is valid nowhere /verify answers for
		}
	}
	out := &VerifiedPrincipal{AccountID: p.AccountID, CredentialID: p.CredentialID, CredentialKind: p.Kind.String(), Environment: p.Environment, Permissions: []keygate.Permission{}}
	for _, perm := range keygate.Permissions {
		if p.Permissions.Has(perm) {
			out.Permissions = append(out.Permissions, perm)
		}
	}
	return out
}
