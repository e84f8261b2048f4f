package auth

import (
	"context"
	"net/http"
	"net/netip"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// Rule is what a route requires of a request's credential.
type Rule struct {
	// Permission is the permission an API key needs; "" for none (any valid
	// credential).
	Permission keygate.Permission
	// ClientTokens says the route also accepts client-side tokens (Paddle's
	// price and transaction previews and checkout). On other routes a
	// client-side token is invalid_token; on these, a bad one is
	// invalid_client_token.
	ClientTokens bool
	// Partners says the route accepts partner keys (only Paddle's partner
	// routes do); elsewhere a partner key is ErrPartnerKey.
	Partners bool
}

// ErrInvalidClientToken is Authenticate's answer to a bad client-side token
// on a route that accepts them.
var ErrInvalidClientToken = &keygate.Error{Code: keygate.CodeInvalidClientToken, Message: "Invalid, revoked or expired client-side token."}

// AuthenticateRule is AuthenticateFrom for a route's Rule: an API key needs
// the rule's permission; a client-side token is accepted only if the rule
// says so. ip is the client's address (wire.ClientIP).
func (v *Verifier) AuthenticateRule(ctx context.Context, env keygate.Environment, header string, rule Rule, ip netip.Addr) (Principal, error) {
	if rule.ClientTokens {
		if token, ok := bearerToken(header); ok {
			if tok, err := credential.Parse(token); err == nil && tok.Kind == credential.KindClientToken {
				return v.authenticateClientToken(ctx, env, token)
			}
		}
	}
	p, err := v.AuthenticateFrom(ctx, env, header, keygate.PermissionBit(rule.Permission), ip)
	if err == nil && p.Kind == credential.KindPartnerKey && !rule.Partners {
		return Principal{}, ErrPartnerKey
	}
	return p, err
}

// authenticateClientToken checks a client-side token on a route that
// accepts them: it must exist in env and be active. Records are cached by
// token value, negatively too, like keys.
func (v *Verifier) authenticateClientToken(ctx context.Context, env keygate.Environment, token string) (Principal, error) {
	now := v.nowNano()
	rec, known := v.clients.get(token, now)
	if !known {
		v.Metrics.miss()
		var err error
		rec, err = v.load(ctx, v.clients, token, now, func(tx keygate.Tx) (*record, error) {
			t, err := tx.FindClientTokenByToken(ctx, token)
			if err != nil {
				return nil, err
			}
			v.legacyMu.Lock()
			v.clientIDs[t.ID] = token
			v.legacyMu.Unlock()
			return clientRecord(t), nil
		})
		if err != nil {
			v.Metrics.result(resultError)
			return Principal{}, err
		}
	} else {
		v.Metrics.cache(rec != nil)
	}
	if rec == nil || rec.env != envCodeOf(env) || !rec.active {
		v.Metrics.result(resultInvalid)
		return Principal{}, ErrInvalidClientToken
	}
	v.Metrics.result(resultOK)
	return rec.principal(), nil
}

// Guard returns net/http middleware that lets a request through only with a
// credential of env that satisfies rule (from an address its key allows, by
// Config.TrustedProxies), with its Principal in the
// request's context (FromContext). Refusals are answered in Paddle's error
// envelope, with documentation links under the verifier's DocsURL.
func (v *Verifier) Guard(env keygate.Environment, rule Rule) func(http.Handler) http.Handler {
	if rule.Permission != "" && !rule.Permission.Known() {
		panic("auth: unknown permission " + string(rule.Permission))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = wire.WithRequestID(w, r)
			p, err := v.AuthenticateRule(r.Context(), env, r.Header.Get("Authorization"), rule, wire.ClientIP(r, v.cfg.TrustedProxies))
			if err != nil {
				if _, code := wire.ErrorStatus(err); code == keygate.CodeInternal {
					v.cfg.Logger.ErrorContext(r.Context(), "authenticate", "request_id", wire.RequestID(r), "err", err)
				}
				wire.WriteError(w, r, v.cfg.DocsURL, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), p)))
		})
	}
}

// Require is Guard for API keys with one permission ("" for none): the
// middleware a Go service puts in front of a handler.
func (v *Verifier) Require(env keygate.Environment, perm keygate.Permission) func(http.Handler) http.Handler {
	return v.Guard(env, Rule{Permission: perm})
}
