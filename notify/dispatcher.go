package notify

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// Config configures a Dispatcher. Zero fields take the defaults noted.
type Config struct {
	Store  keygate.Store
	Sealer *credential.Sealer
	// Schedules are the retry schedules by environment; default
	// keygate.LiveRetries and keygate.SandboxRetries.
	Schedules map[keygate.Environment]keygate.RetrySchedule
	// Timeout bounds one delivery; default 5 s, as Paddle's.
	Timeout time.Duration
	// Lease is how long a claim lasts; past it, a notification whose
	// dispatcher died is claimed again. Default 30 s.
	Lease time.Duration
	// PollInterval is how often due notifications are looked for when
	// nothing wakes the dispatcher; default 1 s.
	PollInterval time.Duration
	// Batch is how many notifications one claim takes, and Workers how many
	// are delivered at once; defaults 32 and 8.
	Batch, Workers int
	// AddressPolicy says which addresses webhooks may connect to; nil
	// allows public addresses only. It is checked after DNS resolution.
	AddressPolicy *keygate.AddressPolicy
	// HTTPClient sends webhooks; default NewWebhookClient(AddressPolicy).
	// Tests inject faults with it; anything else should keep the default.
	HTTPClient *http.Client
	// Mailer sends e-mail; without one, e-mail deliveries fail (and retry).
	Mailer *Mailer
	Now    func() time.Time
	Logger *slog.Logger
}

// Dispatcher delivers due notifications until its Run ends.
type Dispatcher struct {
	cfg  Config
	wake chan struct{}
}

// NewDispatcher returns a Dispatcher for cfg.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Schedules == nil {
		cfg.Schedules = map[keygate.Environment]keygate.RetrySchedule{keygate.Live: keygate.LiveRetries, keygate.Sandbox: keygate.SandboxRetries}
	}
	cfg.Timeout = orDuration(cfg.Timeout, 5*time.Second)
	cfg.Lease = orDuration(cfg.Lease, 30*time.Second)
	cfg.PollInterval = orDuration(cfg.PollInterval, time.Second)
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewWebhookClient(cfg.AddressPolicy)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Wake asks the dispatcher to look for due notifications now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due notifications until ctx ends, then finishes the
// deliveries in flight and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(d.cfg.PollInterval)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			n, err := d.runOnce(ctx)
			if err != nil {
				d.cfg.Logger.Error("deliver notifications", "err", err)
				break
			}
			if n < d.cfg.Batch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-d.wake:
		}
	}
}

// runOnce claims a batch of due notifications and delivers it; it returns
// how many it claimed.
func (d *Dispatcher) runOnce(ctx context.Context) (int, error) {
	now := d.cfg.Now()
	var batch []*keygate.Notification
	err := d.cfg.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		batch, err = tx.ClaimNotifications(ctx, now, now.Add(d.cfg.Lease), d.cfg.Batch)
		return err
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	for _, n := range batch {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			// A delivery, once begun, is finished and recorded even if ctx
			// ends: what was sent must be on record.
			d.deliverAndRecord(context.WithoutCancel(ctx), n)
		}()
	}
	wg.Wait()
	return len(batch), nil
}

// deliverAndRecord delivers n and records the attempt.
func (d *Dispatcher) deliverAndRecord(ctx context.Context, n *keygate.Notification) {
	res := d.deliver(ctx, n)
	now := d.cfg.Now()
	err := d.cfg.Store.Update(ctx, func(tx keygate.Tx) error {
		cur, err := tx.FindNotificationByID(ctx, n.ID)
		if err != nil {
			return err
		}
		schedule := d.cfg.Schedules[cur.Environment]
		if res.final {
			schedule.Retries = 0
		}
		cur.RecordAttempt(now, res.delivered, schedule)
		if err := tx.UpdateNotification(ctx, cur); err != nil {
			return err
		}
		ct := res.contentType
		return tx.CreateNotificationLog(ctx, &keygate.NotificationLog{
			ID: credential.NewID("ntflog", now), NotificationID: n.ID, AccountID: n.AccountID,
			ResponseCode: res.code, ResponseContentType: ct, ResponseBody: res.body, AttemptedAt: now,
		})
	})
	if err != nil && keygate.ErrorCode(err) != keygate.CodeNotFound { // not found: the destination was deleted meanwhile
		d.cfg.Logger.Error("record delivery", "notification_id", n.ID, "err", err)
	}
}

// result is the outcome of one delivery attempt.
type result struct {
	delivered   bool
	final       bool // no retry can help (the destination is gone or inactive)
	code        int
	contentType *string
	body        string
}

// deliver makes one attempt at delivering n to its destination.
func (d *Dispatcher) deliver(ctx context.Context, n *keygate.Notification) result {
	var s *keygate.NotificationSetting
	err := d.cfg.Store.View(ctx, func(tx keygate.Tx) (err error) {
		s, err = tx.FindNotificationSettingByID(ctx, n.SettingID)
		return err
	})
	switch {
	case err != nil:
		return result{body: "destination unavailable: " + keygate.ErrorMessage(err), final: keygate.ErrorCode(err) == keygate.CodeNotFound}
	case !s.Active:
		return result{body: "the destination is inactive", final: true}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	if s.Type == keygate.DestinationEmail {
		return d.sendEmail(ctx, s, n)
	}
	secret, err := d.cfg.Sealer.Open(s.SealedSecret, s.ID)
	if err != nil {
		return result{body: "the destination's secret can't be read: is KEYGATE_ENCRYPTION_KEY the one it was made with?"}
	}
	return d.postWebhook(ctx, s.Destination, string(secret), n.Payload)
}
