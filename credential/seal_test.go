package credential_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

func TestSealer(t *testing.T) {
	t.Parallel()
	s, err := credential.NewSealer(credential.NewSealKey())
	require.NoError(t, err)
	secret := []byte("pdl_ntfset_01jkdpbhazdpn3wpcya45as9tg_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI")
	sealed := s.Seal(secret, "ntfset_a")
	require.False(t, bytes.Contains(sealed, secret[11:]), "sealed means unreadable")
	require.NotEqual(t, sealed, s.Seal(secret, "ntfset_a"), "a fresh nonce every time")

	got, err := s.Open(sealed, "ntfset_a")
	require.NoError(t, err)
	require.Equal(t, secret, got)

	_, err = s.Open(sealed, "ntfset_b")
	require.ErrorIs(t, err, credential.ErrUnseal, "bound to its row")
	other, _ := credential.NewSealer(credential.NewSealKey())
	_, err = other.Open(sealed, "ntfset_a")
	require.ErrorIs(t, err, credential.ErrUnseal, "another key")
	sealed[len(sealed)-1] ^= 1
	_, err = s.Open(sealed, "ntfset_a")
	require.ErrorIs(t, err, credential.ErrUnseal, "tampered")
	_, err = s.Open([]byte("short"), "ntfset_a")
	require.ErrorIs(t, err, credential.ErrUnseal)
	_, err = credential.NewSealer([]byte("short"))
	require.Error(t, err)
}
