package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPartnersCreate(t *testing.T) {
	t.Parallel()
	c := engines(t)["sqlite"]
	var out struct {
		ID, Key        string
		AllowedDomains []string `json:"allowed_domains"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.must("partners", "create", "--environment", "sandbox", "--name", "Platform",
		"--allowed-domains", "Platform.example, app.platform.example", "--json")), &out))
	require.Regexp(t, `^pid_[a-z\d]{26}$`, out.ID)
	require.Regexp(t, `^psk_sdbx_[a-z\d]{26}_[a-zA-Z\d]{22}_[a-zA-Z\d]{3}$`, out.Key)
	require.Equal(t, []string{"platform.example", "app.platform.example"}, out.AllowedDomains)

	_, errOut, err := c.run("", "partners", "create", "--environment", "sandbox", "--name", "Bad", "--allowed-domains", "not a domain")
	require.Error(t, err)
	require.Contains(t, errOut, `allowed_domains: "not a domain" is not a domain name`)
}
