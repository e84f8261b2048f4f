// Package testgithub plays GitHub's side of secret scanning in tests: it
// makes ECDSA P-256 key pairs, publishes the public keys on loopback in
// GitHub's JSON (as api.github.com/meta/public_keys/secret_scanning does),
// and signs reports as GitHub does.
package testgithub

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// Keys is GitHub's key endpoint with keys of the test's making.
type Keys struct {
	// URL is the key list's address.
	URL string

	mu      sync.Mutex
	keys    []key // published, oldest first
	fetches atomic.Int64
}

type key struct {
	id   string
	priv *ecdsa.PrivateKey
}

// Start publishes one new key on loopback until tb ends.
func Start(tb testing.TB) *Keys {
	tb.Helper()
	k := &Keys{}
	k.AddKey()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(k.JSON())
	}))
	tb.Cleanup(srv.Close)
	k.URL = srv.URL + "/meta/public_keys/secret_scanning"
	return k
}

// AddKey makes a new key, publishes it, and makes it the one Sign uses.
func (k *Keys) AddKey() string {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	sum := sha256.Sum256(der)
	id := hex.EncodeToString(sum[:])
	k.mu.Lock()
	k.keys = append(k.keys, key{id: id, priv: priv})
	k.mu.Unlock()
	return id
}

// JSON returns the published key list, in GitHub's format.
func (k *Keys) JSON() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	type pub struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	}
	var list struct {
		PublicKeys []pub `json:"public_keys"`
	}
	for i, kk := range k.keys {
		der, _ := x509.MarshalPKIXPublicKey(&kk.priv.PublicKey)
		p := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		list.PublicKeys = append(list.PublicKeys, pub{KeyIdentifier: kk.id, Key: string(p), IsCurrent: i == len(k.keys)-1})
	}
	b, _ := json.Marshal(list)
	return b
}

// Sign signs body with the newest key, as GitHub does, and returns the
// values of Github-Public-Key-Identifier and Github-Public-Key-Signature.
func (k *Keys) Sign(body []byte) (id, signature string) {
	k.mu.Lock()
	kk := k.keys[len(k.keys)-1]
	k.mu.Unlock()
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, kk.priv, sum[:])
	if err != nil {
		panic(err)
	}
	return kk.id, base64.StdEncoding.EncodeToString(sig)
}

// Fetches returns how many times the key list was read.
func (k *Keys) Fetches() int64 { return k.fetches.Load() }
