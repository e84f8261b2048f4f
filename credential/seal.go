package credential

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// SealKeyLen is the length of a Sealer's key: AES-256.
const SealKeyLen = 32

// ErrUnseal means a sealed value could not be opened: a wrong key, or
// data that was altered or belongs to another row.
var ErrUnseal = errors.New("credential: sealed value can't be opened")

// Sealer encrypts secrets that keygate must be able to read back (webhook
// endpoint secrets, which sign deliveries) with AES-256-GCM. Each value is
// bound to a context (its row's ID), so a sealed value copied to another row
// does not open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SealKeyLen {
		return nil, fmt.Errorf("credential: sealing key must be %d bytes, got %d", SealKeyLen, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// NewSealKey returns a random sealing key.
func NewSealKey() []byte {
	key := make([]byte, SealKeyLen)
	rand.Read(key)
	return key
}

// Seal encrypts plaintext bound to context; the result is nonce ‖ ciphertext.
func (s *Sealer) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts what Seal made for the same context; ErrUnseal otherwise.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrUnseal
	}
	return out, nil
}
