package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// hashesAtInit is how many password hashes the packages' initialisation
// computed: none, since the decoy hash of sign-ins is made when first used
// (and is not a hash at all).
var hashesAtInit = credential.PasswordHashes()

// TestHelpComputesNoHash checks that starting keygate, for help or any
// command that signs nobody in, computes no argon2 hash: each takes 64 MiB
// and a noticeable fraction of a second.
func TestHelpComputesNoHash(t *testing.T) {
	// Not parallel: no other test may hash meanwhile.
	require.Zero(t, hashesAtInit, "no hash at init")
	c := &cli{t: t, env: map[string]string{}}
	_, _, err := c.run("", "help")
	require.NoError(t, err)
	require.Zero(t, credential.PasswordHashes(), "no hash for help")
}
