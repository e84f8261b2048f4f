package credential_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

func TestParse(t *testing.T) {
	t.Parallel()
	live := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	sdbx := credential.NewAPIKey("", credential.EnvSandbox, time.Now()).Token
	partner := credential.NewPartnerKey(credential.EnvLive, time.Now()).Token
	legacy := credential.NewLegacyKey()
	client := credential.NewClientToken(credential.EnvSandbox)

	// flip changes the last character of s to another valid base62 one.
	flip := func(s string) string {
		c := byte('A')
		if s[len(s)-1] == 'A' {
			c = 'B'
		}
		return s[:len(s)-1] + string(c)
	}

	tests := []struct {
		name string
		in   string
		kind credential.Kind
		env  credential.Env
		err  error
	}{
		{"APIKeyLive", live, credential.KindAPIKey, credential.EnvLive, nil},
		{"APIKeySandbox", sdbx, credential.KindAPIKey, credential.EnvSandbox, nil},
		{"APIKeyWrongCheck", flip(live), credential.KindAPIKey, credential.EnvLive, credential.ErrCheck},
		{"APIKeyWrongSecret", live[:45] + flip(live[45:46]) + live[46:], credential.KindAPIKey, credential.EnvLive, credential.ErrCheck},
		{"PaddleExample", "pdl_live_apikey_01gtgztp8f4kek3yd4g1wrksa3_q6TGTJyvoIz7LDtXT65bX7_AQO", credential.KindAPIKey, credential.EnvLive, credential.ErrCheck},
		{"PartnerKey", partner, credential.KindPartnerKey, credential.EnvLive, nil},
		{"PartnerKeyWrongCheck", flip(partner), credential.KindPartnerKey, credential.EnvLive, credential.ErrCheck},
		{"Legacy", legacy, credential.KindLegacyKey, credential.EnvNone, nil},
		{"ClientToken", client, credential.KindClientToken, credential.EnvSandbox, nil},
		{"ClientTokenLive", "live_7d279f61a3499fed520f7cd8c08", credential.KindClientToken, credential.EnvLive, nil},
		{"Empty", "", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"TestEnvKey", strings.Replace(live, "pdl_live_", "pdl_test_", 1), credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"UpperCaseID", live[:16] + strings.ToUpper(live[16:42]) + live[42:], credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"Truncated", live[:68], credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"Extended", live + "x", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"TrailingNewline", live + "\n", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"ClientShort", client[:31], credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"ClientSymbol", "live_7d279f61a3499fed520f7cd8c0-", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"Legacy49", legacy[:49], credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"LegacySymbol", legacy[:49] + "-", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
		{"Garbage", "hello world", credential.KindUnknown, credential.EnvNone, credential.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := credential.Parse(tt.in)
			if tt.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.err)
			}
			require.Equal(t, tt.kind, tok.Kind)
			require.Equal(t, tt.env, tok.Env)
		})
	}
}

func TestParseIn(t *testing.T) {
	t.Parallel()
	live := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	_, err := credential.ParseIn(live, credential.EnvLive)
	require.NoError(t, err)
	tok, err := credential.ParseIn(live, credential.EnvSandbox)
	require.ErrorIs(t, err, credential.ErrEnvironment)
	require.Equal(t, credential.KindAPIKey, tok.Kind)

	_, err = credential.ParseIn(credential.NewClientToken(credential.EnvLive), credential.EnvSandbox)
	require.ErrorIs(t, err, credential.ErrEnvironment)
	_, err = credential.ParseIn(credential.NewLegacyKey(), credential.EnvSandbox)
	require.NoError(t, err, "legacy keys name no environment")
}

// TestParseDoesNotAllocate guards the hot path: every request parses its
// token, and a parse must not put work on the garbage collector.
func TestParseDoesNotAllocate(t *testing.T) {
	live := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := credential.Parse(live); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

// anyPrefixPattern is apiKeyPattern with any valid key prefix.
var anyPrefixPattern = regexp.MustCompile(`^[a-z]{2,8}_(live|sdbx)_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`)

// FuzzParse checks that Parse never panics and that whatever it accepts is
// exactly one of the documented shapes. Findings of the fuzzer are kept in
// testdata/fuzz/FuzzParse and run as regression cases by plain go test.
func FuzzParse(f *testing.F) {
	f.Add(credential.NewAPIKey("", credential.EnvLive, time.Now()).Token)
	f.Add(credential.NewAPIKey("", credential.EnvSandbox, time.Now()).Token)
	f.Add(credential.NewPartnerKey(credential.EnvLive, time.Now()).Token)
	f.Add(credential.NewClientToken(credential.EnvLive))
	f.Add(credential.NewLegacyKey())
	f.Add(credential.NewAPIKey("acme", credential.EnvLive, time.Now()).Token)
	f.Add(credential.NewAPIKey("zz", credential.EnvSandbox, time.Now()).Token)
	f.Add(credential.NewAPIKey("abcdefgh", credential.EnvLive, time.Now()).Token)
	f.Add("pdl_live_apikey_")
	f.Add("abcdefghi_live_apikey_")
	f.Add("psk_sdbx_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := credential.Parse(s)
		if err != nil {
			return
		}
		switch tok.Kind {
		case credential.KindAPIKey:
			if !anyPrefixPattern.MatchString(s) || len(s) != credential.APIKeyLenFor(tok.Prefix) || !strings.HasPrefix(s, tok.Prefix+"_") {
				t.Fatalf("accepted API key %q (prefix %q) does not match the format", s, tok.Prefix)
			}
			if id, secret, _, ok := credential.SplitAPIKey(s, tok.Prefix, tok.Env); !ok || id != tok.ID || secret != tok.Secret {
				t.Fatalf("SplitAPIKey disagrees with Parse on %q", s)
			}
			last := strings.LastIndexByte(s, '_')
			if referenceCheck(s[:last]) != s[last+1:] {
				t.Fatalf("accepted API key %q with a wrong check", s)
			}
		case credential.KindPartnerKey:
			if tok.Prefix != "" {
				t.Fatalf("partner key %q with a prefix", s)
			}
			if !strings.HasPrefix(s, "psk_") || strings.Count(s, "_") != 4 {
				t.Fatalf("accepted partner key %q does not match the format", s)
			}
		case credential.KindLegacyKey:
			if len(s) != credential.LegacyKeyLen || tok.Secret != s {
				t.Fatalf("accepted legacy key %q", s)
			}
		case credential.KindClientToken:
			if len(s) != credential.ClientTokenLen || tok.Env == credential.EnvNone {
				t.Fatalf("accepted client token %q", s)
			}
		default:
			t.Fatalf("nil error with kind %v for %q", tok.Kind, s)
		}
	})
}

// TestSplitAPIKey checks the hot path's split: the parts of a key of the
// asked environment, nothing for the other environment, a partner key or a
// wrong shape, and no allocation.
func TestSplitAPIKey(t *testing.T) {
	live := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	sdbx := credential.NewAPIKey("", credential.EnvSandbox, time.Now()).Token
	tok, err := credential.Parse(live)
	require.NoError(t, err)
	id, secret, check, ok := credential.SplitAPIKey(live, "", credential.EnvLive)
	require.True(t, ok)
	require.Equal(t, tok.ID, id)
	require.Equal(t, tok.Secret, secret)
	require.Equal(t, live[len(live)-credential.CheckLen:], check)
	_, _, _, ok = credential.SplitAPIKey(sdbx, "", credential.EnvSandbox)
	require.True(t, ok)
	for _, bad := range []struct {
		token string
		env   credential.Env
	}{
		{live, credential.EnvSandbox},
		{sdbx, credential.EnvLive},
		{live, credential.EnvNone},
		{"pdl_tst_" + live[8:], credential.EnvLive},
		{"pdl_live-apikey_" + live[16:], credential.EnvLive},
		{"pdl_live_apikeyx" + live[16:], credential.EnvLive},
		{"pdx_" + live[4:], credential.EnvLive},
		{live[:len(live)-1], credential.EnvLive},
		{live[:42] + "x" + live[43:], credential.EnvLive},
		{credential.NewPartnerKey(credential.EnvLive, time.Now()).Token, credential.EnvLive},
	} {
		_, _, _, ok := credential.SplitAPIKey(bad.token, "", bad.env)
		require.False(t, ok, "%q in env %d", bad.token, bad.env)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, _, ok := credential.SplitAPIKey(live, "", credential.EnvLive); !ok {
			t.Fatal("not split")
		}
	})
	require.Zero(t, allocs)
}

// TestKeyPrefix covers operators' prefixes: keys of any valid prefix keep
// the layout and the check, parse with their prefix, and split only under
// their own prefix.
func TestKeyPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"ab", "acme", "abcdefgh", "pdl"} {
		for _, env := range []credential.Env{credential.EnvLive, credential.EnvSandbox} {
			k := credential.NewAPIKey(p, env, time.Now())
			require.Len(t, k.Token, len(p)+66)
			require.Equal(t, credential.APIKeyLenFor(p), len(k.Token))
			require.Regexp(t, "^"+credential.APIKeyPattern(p, env)+"$", k.Token)
			tok, err := credential.Parse(k.Token)
			require.NoError(t, err)
			require.Equal(t, credential.KindAPIKey, tok.Kind)
			require.Equal(t, p, tok.Prefix)
			require.Equal(t, env, tok.Env)
			require.Equal(t, credential.IDBody(k.EntityID), tok.ID)
			last := strings.LastIndexByte(k.Token, '_')
			require.Equal(t, referenceCheck(k.Token[:last]), k.Token[last+1:])

			id, secret, _, ok := credential.SplitAPIKey(k.Token, p, env)
			require.True(t, ok)
			require.Equal(t, tok.ID, id)
			require.Equal(t, tok.Secret, secret)
			other := "pdl"
			if p == "pdl" {
				other = "acme"
			}
			_, _, _, ok = credential.SplitAPIKey(k.Token, other, env)
			require.False(t, ok, "a key splits only under its own prefix")
			require.Equal(t, p, credential.RotateSecret(tok, env).Token[:len(p)], "rotation keeps the prefix")
			require.True(t, strings.HasPrefix(credential.Obfuscate(p, env, k.EntityID), p+"_"))
		}
	}
	require.Equal(t, credential.APIKeyLen, credential.APIKeyLenFor(credential.DefaultKeyPrefix))
	_, _, _, ok := credential.SplitAPIKey(credential.NewAPIKey("", credential.EnvLive, time.Now()).Token, "", credential.EnvLive)
	require.True(t, ok, `"" means pdl`)
}

func TestValidKeyPrefix(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"ab", "pdl", "acme", "abcdefgh"} {
		require.NoError(t, credential.ValidKeyPrefix(p), p)
	}
	for _, p := range []string{"", "a", "abcdefghi", "Acme", "ac-me", "ac_me", "acme1", "é"} {
		require.ErrorIs(t, credential.ValidKeyPrefix(p), credential.ErrKeyPrefix, p)
	}
}

// TestParseBadPrefix refuses keys whose prefix is not 2 to 8 lower-case
// letters, even with a correct check.
func TestParseBadPrefix(t *testing.T) {
	t.Parallel()
	good := credential.NewAPIKey("acme", credential.EnvLive, time.Now()).Token
	body := good[len("acme"):strings.LastIndexByte(good, '_')]
	for _, p := range []string{"a", "abcdefghi", "ACME", "ac1e"} {
		s := p + body
		s += "_" + credential.Check(s)
		_, err := credential.Parse(s)
		require.ErrorIs(t, err, credential.ErrMalformed, s)
	}
}

// TestSplitAPIKeyDoesNotAllocate guards the hot path with a prefix of the
// operator's.
func TestSplitAPIKeyDoesNotAllocate(t *testing.T) {
	k := credential.NewAPIKey("acme", credential.EnvLive, time.Now()).Token
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, _, ok := credential.SplitAPIKey(k, "acme", credential.EnvLive); !ok {
			t.Fatal("not split")
		}
		if _, err := credential.Parse(k); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}
