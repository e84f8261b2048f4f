package notify

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/keygate/keygate"
)

// NewWebhookClient returns the HTTP client webhooks are sent with: it
// connects only to addresses policy allows, checked on the address actually
// dialled (after DNS resolution, so a name that resolves, or later
// re-resolves, to an internal address is refused), never through a proxy,
// and follows no redirects.
func NewWebhookClient(policy *keygate.AddressPolicy) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guardControl(policy)}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would be dialled instead of the destination
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// guardControl returns a net.Dialer Control that refuses addresses policy
// does not allow, with keygate.ErrAddressNotAllowed.
func guardControl(policy *keygate.AddressPolicy) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %q", keygate.ErrAddressNotAllowed, address)
		}
		if !policy.Allows(ap.Addr()) {
			return keygate.ErrAddressNotAllowed
		}
		return nil
	}
}

// dialRefused reports whether err is a connection the policy refused.
func dialRefused(err error) bool {
	return errors.Is(err, keygate.ErrAddressNotAllowed)
}
