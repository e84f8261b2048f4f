package auth_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/auth"
)

// BenchmarkAuthenticateHit is the hot path: a valid key whose record is
// cached, with a permission check, on one goroutine, to compare with
// BenchmarkHashFloor. docs/performance.md records its figures.
func BenchmarkAuthenticateHit(b *testing.B) {
	bb, header, perm := hitSetup(b)
	reads := bb.store.views.Load()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, perm); err != nil {
			b.Fatal(err)
		}
	}
	if bb.store.views.Load() != reads {
		b.Fatal("a cache hit read the store")
	}
}

// BenchmarkAuthenticateHitParallel is the hot path on every core at once,
// all with the same key: the worst case for contention.
func BenchmarkAuthenticateHitParallel(b *testing.B) {
	bb, header, perm := hitSetup(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, perm); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// hitSetup makes a key and caches it.
func hitSetup(b *testing.B) (*bundle, string, keygate.PermissionSet) {
	bb := setup(b)
	_, token := bb.key(b, "customer.write", "price.read")
	header := "Bearer " + token
	perm := keygate.PermissionBit("customer.read")
	time.Sleep(100 * time.Millisecond) // let the change feed deliver the key's own creation
	if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, perm); err != nil {
		b.Fatal(err)
	}
	return bb, header, perm
}

// BenchmarkAuthenticateMiss reads the key from SQLite on every request.
func BenchmarkAuthenticateMiss(b *testing.B) {
	bb := setup(b)
	k, token := bb.key(b, "customer.read")
	header := "Bearer " + token
	b.ReportAllocs()
	for b.Loop() {
		bb.v.Invalidate(k.ID)
		if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateInvalidCheck is a random, well-formed-looking key
// with a wrong check: refused before any lookup.
func BenchmarkAuthenticateInvalidCheck(b *testing.B) {
	bb := setup(b)
	_, token := bb.key(b, "customer.read")
	header := "Bearer " + token[:len(token)-1] + flip(token[len(token)-1])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bb.v.Authenticate(bb.ctx, keygate.Live, header, 0); err != auth.ErrInvalidToken {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashFloor is the least any verification must do: the SHA-256 of
// a 22-byte secret.
func BenchmarkHashFloor(b *testing.B) {
	secret := []byte("q6TGTJyvoIz7LDtXT65bX7")
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256(secret)
		secret[0] = sum[0]%26 + 'a'
	}
}
