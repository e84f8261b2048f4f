package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/keygate/keygate"
)

// UserMailer sends the e-mails queued for accounts' users (an exposure's
// e-mail goes to every user of the account, whatever its destinations).
// Each node may run one: claims keep two from sending the same e-mail.
type UserMailer struct {
	Store  keygate.Store
	Mailer *Mailer // nil: nothing is sent, and the e-mails wait
	Now    func() time.Time
	Logger *slog.Logger
	// Lease is how long a claimed e-mail is this node's; default 30 s.
	Lease time.Duration
}

// SendDue sends the e-mails due now and returns how many it attempted.
func (u *UserMailer) SendDue(ctx context.Context) (int, error) {
	if u.Mailer == nil {
		return 0, nil
	}
	now := u.now()
	var due []*keygate.UserMail
	err := u.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		due, err = tx.ClaimUserMails(ctx, now, now.Add(orDuration(u.Lease, 30*time.Second)), 50)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, m := range due {
		u.send(ctx, m)
	}
	return len(due), nil
}

// send makes one attempt at m and records it.
func (u *UserMailer) send(ctx context.Context, m *keygate.UserMail) {
	m.Attempts++
	subject, body, err := Render(m.Environment, m.Payload)
	if err == nil {
		sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = u.Mailer.Send(sendCtx, m.To, subject, body)
		cancel()
	}
	now := u.now()
	switch {
	case err == nil:
		m.SentAt, m.RetryAt, m.LastError = &now, nil, ""
	case m.Attempts > keygate.UserMailRetries:
		m.RetryAt, m.LastError = nil, err.Error()
	default:
		next := now.Add(time.Duration(m.Attempts) * time.Minute)
		m.RetryAt, m.LastError = &next, err.Error()
	}
	if err != nil && u.Logger != nil {
		u.Logger.Warn("user e-mail not sent", "mail_id", m.ID, "attempts", m.Attempts, "err", err)
	}
	if err := u.Store.Update(ctx, func(tx keygate.Tx) error { return tx.UpdateUserMail(ctx, m) }); err != nil && u.Logger != nil {
		u.Logger.Error("record user e-mail", "mail_id", m.ID, "err", err)
	}
}

func (u *UserMailer) now() time.Time {
	if u.Now != nil {
		return u.Now().UTC()
	}
	return time.Now().UTC()
}
