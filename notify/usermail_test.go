package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/notify"
)

// TestExposureMail reports a leaked key of an account with two users and no
// notification destination: each user gets an e-mail over real SMTP, a
// refused one is retried, and a second exposure (low risk) is e-mailed too.
func TestExposureMail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, email := range []string{"owner@example.com", "dev@example.com"} {
		_, err := b.svc.CreateUser(b.ctx, keygate.UserCreate{AccountID: b.acc.ID, Email: email, Password: "correct horse battery"})
		require.NoError(t, err)
	}
	sc := app.AccountScope(b.acc.ID)
	k, token, err := b.svc.CreateAPIKey(b.ctx, sc, b.acc.ID, keygate.APIKeyCreate{Name: "CI", Permissions: []keygate.Permission{"price.read"}})
	require.NoError(t, err)
	mailer, err := notify.ParseMailer("smtp://"+b.smtp.Addr, "keygate@example.com")
	require.NoError(t, err)
	_, err = b.svc.ReportExposures(b.ctx, []keygate.ExposureReport{{Token: token, Source: keygate.SourceGitHub, Reference: "https://github.com/o/r/blob/1/.env"}})
	require.NoError(t, err)
	now := time.Now().Add(time.Second)
	um := &notify.UserMailer{Store: b.svc.Store, Mailer: mailer, Now: func() time.Time { return now }}
	b.smtp.Refuse(true)
	n, err := um.SendDue(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Empty(t, b.smtp.Messages())
	b.smtp.Refuse(false)
	n, err = um.SendDue(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a refused e-mail waits for its retry")
	now = now.Add(2 * time.Minute)
	n, err = um.SendDue(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	msgs := b.smtp.Messages()
	require.Len(t, msgs, 2)
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
		require.Contains(t, m.Data, "Subject: [keygate sandbox] API key exposed and revoked: "+k.ID)
		body := strings.ReplaceAll(m.Data, "\r\n", "\n")
		require.Contains(t, body, "Where: https://github.com/o/r/blob/1/.env")
		require.Contains(t, body, "Risk level: high")
		require.Contains(t, body, "can't be reactivated")
	}
	require.ElementsMatch(t, []string{"owner@example.com", "dev@example.com"}, to)
	n, err = um.SendDue(b.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "sent e-mails are not sent again")

	_, err = b.svc.ReportExposures(b.ctx, []keygate.ExposureReport{{Token: token, Source: keygate.SourceKeygateScan, Reference: "deploy.sh:3"}})
	require.NoError(t, err)
	now = time.Now().Add(time.Second)
	_, err = um.SendDue(b.ctx)
	require.NoError(t, err)
	msgs = b.smtp.Messages()
	require.Len(t, msgs, 4)
	require.Contains(t, msgs[3].Data, "Subject: [keygate sandbox] API key exposed: "+k.ID)
	require.Contains(t, msgs[3].Data, "Risk level: low")
}
