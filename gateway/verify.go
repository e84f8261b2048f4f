package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"

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
	// The refusals of a key's controls: the client's IP is not in its
	// allowlist (or was not given), it is over its rate limit, or out of
	// credits.
	VerifyIPNotAllowed  = "IP_NOT_ALLOWED"
	VerifyRateLimited   = "RATE_LIMITED"
	VerifyUsageExceeded = "USAGE_EXCEEDED"
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
	// IP is the address of the client that presented the token (an
	// extension of the first version of this request: without it, a key
	// with an IP allowlist is IP_NOT_ALLOWED).
	IP string `json:"ip,omitempty"`
}

// VerifyResponse is the answer of POST /verify: always 200 for a request
// that could be read. A token of the other environment is INVALID_TOKEN,
// exactly as an unknown one.
type VerifyResponse struct {
	Valid     bool               `json:"valid"`
	Code      string             `json:"code"`
	Principal *VerifiedPrincipal `json:"principal,omitempty"`
	// RetryAfter is, for RATE_LIMITED, the seconds until the key's window
	// ends.
	RetryAfter int `json:"retry_after,omitempty"`
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
		var ip netip.Addr
		if req.IP != "" {
			var err error
			if ip, err = netip.ParseAddr(req.IP); err != nil || ip.Zone() != "" {
				wire.WriteError(w, r, docsURL, &keygate.Error{Code: keygate.CodeInvalidField, Message: "Request does not pass validation.",
					Fields: []keygate.FieldError{{Field: "ip", Message: "must be an IPv4 or IPv6 address"}}})
				return
			}
		}
		p, err := v.AuthenticateRule(r.Context(), req.Environment, "Bearer "+req.Token, auth.Rule{Permission: req.Permission, ClientTokens: req.ClientTokens}, ip)
		res := VerifyResponse{Valid: err == nil, Code: VerifyValid}
		if err != nil {
			code, ok := verifyCode(err)
			if !ok {
				wire.WriteError(w, r, docsURL, err)
				return
			}
			res.Code = code
			var limited *auth.RateLimited
			if errors.As(err, &limited) {
				res.RetryAfter = limited.RetryAfterSeconds()
			}
		}
		if err == nil || res.Code == VerifyForbidden {
			res.Principal = verified(p)
		}
		wire.WriteJSON(w, http.StatusOK, res)
	})
	return mux
}

// verifyCode returns the verification code of a refusal; false for an
// error that is not one (an outage).
func verifyCode(err error) (string, bool) {
	var limited *auth.RateLimited
	switch {
	case errors.Is(err, auth.ErrIPNotAllowed):
		return VerifyIPNotAllowed, true
	case errors.Is(err, auth.ErrNoCredits):
		return VerifyUsageExceeded, true
	case errors.As(err, &limited):
		return VerifyRateLimited, true
	}
	code, ok := verifyCodes[keygate.ErrorCode(err)]
	return code, ok
}

// verified describes the principal; a FORBIDDEN refusal comes with it
// (a partner key's is refused without: it is valid nowhere /verify answers
// for).
func verified(p auth.Principal) *VerifiedPrincipal {
	if p.CredentialID == "" || p.Kind == credential.KindPartnerKey {
		return nil
	}
	out := &VerifiedPrincipal{AccountID: p.AccountID, CredentialID: p.CredentialID, CredentialKind: p.Kind.String(), Environment: p.Environment, Permissions: []keygate.Permission{}}
	for _, perm := range keygate.Permissions {
		if p.Permissions.Has(perm) {
			out.Permissions = append(out.Permissions, perm)
		}
	}
	return out
}
