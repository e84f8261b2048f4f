package notify_test

import (
	"context"
	"errors"
	"net/textproto"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/internal/testsmtp"
	"github.com/keygate/keygate/notify"
)

// TestMailerTLSAndAuth sends mail through real SMTP conversations as a
// relay wants them: STARTTLS, or TLS from the first byte (smtps://), with
// the user and password of the URL; and checks that a certificate the
// mailer doesn't trust, a wrong password and missing credentials each fail
// with nothing delivered.
func TestMailerTLSAndAuth(t *testing.T) {
	t.Parallel()
	send := func(srv *testsmtp.Server, url string, trust bool) error {
		m, err := notify.ParseMailer(url, "keygate@example.com")
		require.NoError(t, err)
		if trust {
			m.TLSConfig = srv.ClientTLS()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return m.Send(ctx, "ops@example.com", "Hello", "Body line\nSecond line")
	}
	code := func(err error) int {
		var te *textproto.Error
		if errors.As(err, &te) {
			return te.Code
		}
		return 0
	}
	for _, mode := range []string{"starttls", "implicit"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv := testsmtp.StartWith(t, testsmtp.Options{TLS: mode, User: "relay", Password: "s3cret pass"})
			scheme := map[string]string{"starttls": "smtp", "implicit": "smtps"}[mode]
			base := scheme + "://relay:s3cret%20pass@" + srv.Addr

			require.NoError(t, send(srv, base, true))
			require.Len(t, srv.Messages(), 1)
			require.Equal(t, []string{"ops@example.com"}, srv.Messages()[0].To)
			require.Contains(t, srv.Messages()[0].Data, "Body line\r\nSecond line")
			require.Equal(t, 1, srv.Logins())

			err := send(srv, base, false)
			require.Error(t, err, "a certificate the mailer does not trust")
			require.ErrorContains(t, err, "certificate")

			err = send(srv, scheme+"://relay:wrong@"+srv.Addr, true)
			require.Equal(t, 535, code(err), "a wrong password: %v", err)

			if mode == "starttls" {
				err = send(srv, scheme+"://"+srv.Addr, true)
				require.Equal(t, 530, code(err), "no credentials where the relay wants them: %v", err)
			}
			require.Len(t, srv.Messages(), 1, "nothing more delivered")
			require.Equal(t, 1, srv.Logins())
		})
	}
}
