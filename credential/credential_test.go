package credential_test

import (
	"crypto/sha256"
	"hash/crc32"
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// apiKeyPattern is Paddle's published regex, anchored at both ends.
var apiKeyPattern = regexp.MustCompile(`^pdl_(live|sdbx)_apikey_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`)

// referenceCheck computes the check digits straight from the rule in
// DESIGN.md, independently of the package: CRC-32 (IEEE) mod 62^3, base62
// 0-9A-Za-z, left-padded with '0'.
func referenceCheck(body string) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := int(crc32.ChecksumIEEE([]byte(body)) % (62 * 62 * 62))
	out := ""
	for n > 0 {
		out = string(digits[n%62]) + out
		n /= 62
	}
	for len(out) < 3 {
		out = "0" + out
	}
	return out
}

func TestNewAPIKey(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 7, 30, 0, 0, time.UTC)
	for _, env := range []credential.Env{credential.EnvLive, credential.EnvSandbox} {
		k := credential.NewAPIKey("", env, now)
		require.Len(t, k.Token, credential.APIKeyLen)
		require.Regexp(t, apiKeyPattern, k.Token)
		require.Equal(t, 5, strings.Count(k.Token, "_"))
		require.True(t, credential.ValidID("apikey", k.EntityID), k.EntityID)
		require.Contains(t, k.Token, "_apikey_"+credential.IDBody(k.EntityID)+"_")
		want := map[credential.Env]string{credential.EnvLive: "pdl_live_", credential.EnvSandbox: "pdl_sdbx_"}[env]
		require.True(t, strings.HasPrefix(k.Token, want), k.Token)

		last := strings.LastIndexByte(k.Token, '_')
		require.Equal(t, referenceCheck(k.Token[:last]), k.Token[last+1:])

		tok, err := credential.Parse(k.Token)
		require.NoError(t, err)
		require.Equal(t, credential.KindAPIKey, tok.Kind)
		require.Equal(t, env, tok.Env)
		require.Equal(t, credential.IDBody(k.EntityID), tok.ID)
		require.Equal(t, sha256.Sum256([]byte(tok.Secret)), k.Hash)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "a", "pdl_live_apikey_01gtgztp8f4kek3yd4g1wrksa3_q6TGTJyvoIz7LDtXT65bX7", strings.Repeat("z", 200)} {
		require.Equal(t, referenceCheck(body), credential.Check(body), body)
	}
	// A known answer, worked out from the rule: CRC-32("a") is 0xe8b7be43 =
	// 3904355907; mod 238328 that is 66611 = 17*62^2 + 20*62 + 23, which in
	// 0-9A-Za-z is "H", "K", "N".
	require.Equal(t, "HKN", credential.Check("a"))
}

// TestIDsIncrease checks that IDs increase in the order they are made, even
// when made for the same or an earlier time, and from many goroutines.
func TestIDsIncrease(t *testing.T) {
	t.Parallel()
	past := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 1000; i++ {
		at := time.Now()
		if i%3 == 0 {
			at = past // a stopped clock in the past
		}
		ids = append(ids, credential.NewID("evt", at))
		go credential.NewID("evt", time.Now().Add(time.Duration(i)*time.Millisecond)) // others, meanwhile
	}
	require.True(t, sort.StringsAreSorted(ids))
}

func TestIDsSortByTime(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 1000; i++ {
		ids = append(ids, credential.NewID("evt", base.Add(time.Duration(i)*time.Millisecond)))
	}
	require.True(t, sort.StringsAreSorted(ids), "IDs made at later milliseconds must sort later")
	for _, id := range ids {
		require.Regexp(t, `^evt_[a-z\d]{26}$`, id)
	}
}

// TestSecretUniform checks that secrets use the whole alphabet without
// modulo bias. With 62,000 expected hits per character, a biased generator
// (b % 62 over 0..255 gives 10% more weight to the first 8 characters)
// falls far outside 6 standard deviations, while a uniform one essentially
// never does.
func TestSecretUniform(t *testing.T) {
	t.Parallel()
	counts := map[rune]int{}
	const keys = 175000 // 175,000 × 22 ≈ 3.85M characters
	total := 0
	for i := 0; i < keys; i++ {
		k := credential.NewAPIKey("", credential.EnvLive, time.Now())
		tok, err := credential.Parse(k.Token)
		require.NoError(t, err)
		for _, c := range tok.Secret {
			counts[c]++
			total++
		}
	}
	require.Len(t, counts, 62)
	expected := float64(total) / 62
	sigma := math.Sqrt(expected * (1 - 1.0/62))
	for c, n := range counts {
		require.InDelta(t, expected, float64(n), 6*sigma, "character %q", c)
	}
}

func TestObfuscate(t *testing.T) {
	t.Parallel()
	pattern := regexp.MustCompile(`^[a-z\d_:]*\*\*\*\*$`)
	got := credential.Obfuscate("", credential.EnvLive, "apikey_01jkdpbhazdpn3wpcya45as9tg")
	require.Equal(t, "pdl_live_apikey_01jkdpbhaz****", got) // spec 3.3's example
	require.Regexp(t, pattern, got)
	require.Equal(t, "pdl_sdbx_apikey_01jkdpbhaz****", credential.Obfuscate("", credential.EnvSandbox, "apikey_01jkdpbhazdpn3wpcya45as9tg"))

	legacy := credential.ObfuscateLegacy("apikey_01jkdpbhazdpn3wpcya45as9tg")
	require.Regexp(t, pattern, legacy)
	require.False(t, strings.HasPrefix(legacy, "pdl_"))
}

func TestOtherTokens(t *testing.T) {
	t.Parallel()
	require.Regexp(t, `^live_[a-zA-Z0-9]{27}$`, credential.NewClientToken(credential.EnvLive))
	require.Regexp(t, `^test_[a-zA-Z0-9]{27}$`, credential.NewClientToken(credential.EnvSandbox))
	require.Regexp(t, `^[a-zA-Z0-9]{43}$`, credential.NewMagicCode())
	require.True(t, credential.ValidMagicCode(credential.NewMagicCode()))
	require.Regexp(t, `^pdl_ntfset_[a-z\d]{26}_[a-zA-Z\d]{32}$`, credential.NewEndpointSecret("ntfset_01jkdpbhazdpn3wpcya45as9tg"))

	p := credential.NewPartnerKey(credential.EnvSandbox, time.Now())
	require.Regexp(t, `^psk_sdbx_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`, p.Token)
	tok, err := credential.Parse(p.Token)
	require.NoError(t, err)
	require.Equal(t, credential.KindPartnerKey, tok.Kind)
	require.Equal(t, credential.EnvSandbox, tok.Env)
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	k := credential.NewAPIKey("", credential.EnvLive, time.Now())
	tok, err := credential.Parse(k.Token)
	require.NoError(t, err)
	r := credential.RotateSecret(tok, credential.EnvLive)
	require.Equal(t, k.EntityID, r.EntityID)
	require.NotEqual(t, k.Token, r.Token)
	rt, err := credential.Parse(r.Token)
	require.NoError(t, err)
	require.Equal(t, tok.ID, rt.ID)
}

func TestPassword(t *testing.T) {
	t.Parallel()
	h := credential.HashPassword("correct horse battery staple")
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$"), h)
	require.NotEqual(t, h, credential.HashPassword("correct horse battery staple"), "salted")
	ok, err := credential.CheckPassword(h, "correct horse battery staple")
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = credential.CheckPassword(h, "correct horse battery stapler")
	require.NoError(t, err)
	require.False(t, ok)
	_, err = credential.CheckPassword("$2a$10$bcrypt", "x")
	require.ErrorIs(t, err, credential.ErrPasswordHash)
}
