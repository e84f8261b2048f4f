package fuzz_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
)

// emptyStore is a store in which no credential exists: every lookup the
// verifier makes is not found. (The verifier's answers for real keys are
// tested in package auth, on both engines; here only parsing is fuzzed.)
type emptyStore struct{ keygate.Store }

func (emptyStore) View(ctx context.Context, fn func(keygate.Tx) error) error { return fn(emptyTx{}) }

type emptyTx struct{ keygate.Tx }

func (emptyTx) FindAPIKeyByID(context.Context, string) (*keygate.APIKey, error) {
	return nil, keygate.NotFound("key")
}

func (emptyTx) FindAPIKeyByHash(context.Context, keygate.Environment, []byte) (*keygate.APIKey, error) {
	return nil, keygate.NotFound("key")
}

func (emptyTx) FindPartnerByKeyID(context.Context, string) (*keygate.Partner, error) {
	return nil, keygate.NotFound("key")
}

func (emptyTx) FindClientTokenByToken(context.Context, string) (*keygate.ClientToken, error) {
	return nil, keygate.NotFound("token")
}

// FuzzAuthorization authenticates any Authorization header: it never
// panics, nothing authenticates against an empty store, and every refusal
// is one of Paddle's authentication codes.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer pdl_live_apikey_01jkdpbhazdpn3wpcya45as9tg_aaaaaaaaaaaaaaaaaaaaaa_000", "bearer x", "Bearer  x", "Bearer a b",
		"Basic abc", "Bearer", "", "Bearer live_aaaaaaaaaaaaaaaaaaaaaaaaaaa", "Bearer \x00", "Bearer psk_live_", "Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		f.Add(s)
	}
	v := auth.New(auth.Config{Store: emptyStore{}})
	codes := []string{keygate.CodeAuthMissing, keygate.CodeAuthMalformed, keygate.CodeInvalidToken}
	f.Fuzz(func(t *testing.T, header string) {
		for _, rule := range []auth.Rule{{}, {ClientTokens: true}, {Permission: "price.read"}} {
			_, err := v.AuthenticateRule(context.Background(), keygate.Live, header, rule, netip.Addr{})
			require.Error(t, err, "%q authenticated against an empty store", header)
			if rule.ClientTokens && keygate.ErrorCode(err) == keygate.CodeInvalidClientToken {
				continue
			}
			require.Contains(t, codes, keygate.ErrorCode(err), "%q: %v", header, err)
		}
	})
}
