package notify

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
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
	// Batch is the most notifications one claim takes; default 32.
	Batch int
	// Workers bounds the deliveries in flight at once; default 64.
	Workers int
	// PerDestination bounds the deliveries in flight to one destination,
	// so that a slow destination holds at most that many workers and a
	// receiver is not flooded; default DefaultPerDestination.
	PerDestination int
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

// DefaultPerDestination is Config.PerDestination's default.
const DefaultPerDestination = 8

// Dispatcher delivers due notifications until its Run ends. It claims
// notifications whenever a worker is free, skipping the destinations that
// have PerDestination deliveries in flight; each delivery runs on its own,
// so a slow destination delays nobody else; attempts are recorded in
// batches, a transaction for many (recorder.go).
type Dispatcher struct {
	// FailedAttempts counts the delivery attempts that failed.
	FailedAttempts atomic.Int64

	cfg   Config
	wake  chan struct{} // something may be due: claim now
	freed chan struct{} // a worker is free: claim soon

	mu       sync.Mutex
	inFlight int                  // deliveries running or waiting to be recorded
	perDest  map[string]int       // of which, by destination (setting ID)
	queued   map[string][]claimed // claimed beyond their destination's bound
	nQueued  int
	stopping bool // Run is ending: start nothing more
	running  sync.WaitGroup
	attempts chan attempt // to the recorder

	beforeRecord atomic.Pointer[func()] // tests: run before each batch is recorded
}

// claimed is a notification this dispatcher claimed, and when the claim
// ends.
type claimed struct {
	n     *keygate.Notification
	at    time.Time
	until time.Time
}

// NewDispatcher returns a Dispatcher for cfg.
func NewDispatcher(cfg Config) *Dispatcher {
	if cfg.Schedules == nil {
		cfg.Schedules = map[keygate.Environment]keygate.RetrySchedule{keygate.Live: keygate.LiveRetries, keygate.Sandbox: keygate.SandboxRetries}
	}
	cfg.Timeout = orDuration(cfg.Timeout, 5*time.Second)
	cfg.Lease = orDuration(cfg.Lease, 30*time.Second)
	cfg.PollInterval = orDuration(cfg.PollInterval, time.Second)
	cfg.Batch = orInt(cfg.Batch, 32)
	cfg.Workers = orInt(cfg.Workers, 64)
	cfg.PerDestination = orInt(cfg.PerDestination, DefaultPerDestination)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = NewWebhookClient(cfg.AddressPolicy)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), perDest: map[string]int{}, queued: map[string][]claimed{}}
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func orInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Wake asks the dispatcher to look for due notifications now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers due notifications until ctx ends, then finishes the
// deliveries in flight, records them and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	d.attempts = make(chan attempt, d.cfg.Workers)
	batches := make(chan []attempt)
	recorded := make(chan struct{})
	var recorders sync.WaitGroup
	go d.gather(batches)
	for range recorderCount {
		recorders.Go(func() { d.record(context.WithoutCancel(ctx), batches) })
	}
	go func() {
		recorders.Wait()
		close(recorded)
	}()
	tick := time.NewTicker(d.cfg.PollInterval)
	defer tick.Stop()
	for {
		for ctx.Err() == nil {
			full, err := d.claim(ctx)
			if err != nil {
				d.cfg.Logger.Error("deliver notifications", "err", err)
				break
			}
			if !full {
				break
			}
		}
		select {
		case <-ctx.Done():
			d.mu.Lock()
			d.stopping = true
			d.mu.Unlock()
			d.running.Wait()
			close(d.attempts)
			<-recorded
			return
		case <-tick.C:
		case <-d.wake:
		case <-d.freed:
			// A worker is free: claim again, but gather a few freed
			// workers first, so that a claim (a write transaction) takes
			// several notifications rather than one per delivery.
			select {
			case <-ctx.Done():
			case <-time.After(freedPause):
			}
		}
	}
}

// recorderCount is how many goroutines record attempts: on PostgreSQL
// their transactions run in parallel, each a few round trips per attempt;
// on SQLite they take turns at the writer, each with a batch.
const recorderCount = 4

// freedPause is how long the claim loop lets freed workers gather.
const freedPause = 5 * time.Millisecond

// claim claims as many due notifications as there are free workers (at
// most Batch), except those of destinations at their bound, and starts
// them. It reports whether it took all it asked for (more may be due).
func (d *Dispatcher) claim(ctx context.Context) (bool, error) {
	d.mu.Lock()
	free := d.cfg.Workers - d.inFlight - d.nQueued
	var skip []string
	for id, n := range d.perDest {
		if n >= d.cfg.PerDestination {
			skip = append(skip, id)
		}
	}
	d.mu.Unlock()
	limit := min(free, d.cfg.Batch)
	if limit <= 0 {
		return false, nil
	}
	now := d.cfg.Now()
	until := now.Add(d.cfg.Lease)
	var batch []*keygate.Notification
	err := d.cfg.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		batch, err = tx.ClaimNotifications(ctx, now, until, limit, skip)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, n := range batch {
		d.start(ctx, claimed{n: n, at: now, until: until})
	}
	return len(batch) == limit, nil
}

// start delivers c now, or queues it behind its destination's deliveries
// in flight if they are at the bound.
func (d *Dispatcher) start(ctx context.Context, c claimed) {
	id := c.n.SettingID
	d.mu.Lock()
	if d.perDest[id] >= d.cfg.PerDestination {
		d.queued[id] = append(d.queued[id], c)
		d.nQueued++
		d.mu.Unlock()
		return
	}
	d.perDest[id]++
	d.inFlight++
	d.running.Add(1)
	d.mu.Unlock()
	go d.deliverOne(ctx, c)
}

// deliverOne delivers c, frees its place among its destination's
// deliveries in flight (starting the next one queued for it) and hands the
// attempt to the recorder. A delivery, once begun, is finished and recorded
// even if ctx ends: what was sent must be on record. A queued one whose
// claim has less than half its lease left is not begun: it is left to be
// claimed again once the claim ends, so that no other claim can take it
// while it is being delivered.
func (d *Dispatcher) deliverOne(ctx context.Context, c claimed) {
	defer d.running.Done()
	if d.cfg.Now().Before(c.until.Add(-d.cfg.Lease / 2)) {
		res := d.deliver(context.WithoutCancel(ctx), c.n)
		if !res.delivered {
			d.failed(c.n, res)
		}
		d.answered(ctx, c.n.SettingID)
		d.attempts <- attempt{n: c.n, res: res, at: d.cfg.Now()}
		return
	}
	d.answered(ctx, c.n.SettingID)
	d.finish()
}

// finish ends a delivery once it is recorded, and wakes the claim loop: a
// worker is free. Until then the delivery counts against Workers, which so
// bounds what a crash can make the dispatcher deliver again.
func (d *Dispatcher) finish() {
	d.mu.Lock()
	d.inFlight--
	d.mu.Unlock()
	select {
	case d.freed <- struct{}{}:
	default:
	}
}

// answered ends a delivery's exchange with destination id (its request is
// answered, or was never sent) and starts the next delivery queued for it:
// the bound on deliveries in flight to a destination counts requests, not
// records still being written.
func (d *Dispatcher) answered(ctx context.Context, id string) {
	d.mu.Lock()
	d.perDest[id]--
	var next *claimed
	if q := d.queued[id]; len(q) > 0 && !d.stopping {
		next = &q[0]
		if len(q) == 1 {
			delete(d.queued, id)
		} else {
			d.queued[id] = q[1:]
		}
		d.nQueued--
		d.perDest[id]++
		d.inFlight++
	}
	if d.perDest[id] == 0 {
		delete(d.perDest, id)
	}
	if next != nil {
		d.running.Add(1) // under mu, so before Run waits (stopping)
	}
	d.mu.Unlock()
	if next != nil {
		go d.deliverOne(ctx, *next)
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
	err := d.read(ctx, func(tx keygate.Tx) (err error) {
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
		d.cfg.Logger.Error("notify: can't unseal the webhook secret of a destination: this node's KEYGATE_ENCRYPTION_KEY differs from the one that sealed it; give every node the same key",
			"notification", n.ID, "destination", s.ID)
		return result{body: "the destination's secret can't be read: is KEYGATE_ENCRYPTION_KEY the one it was made with?"}
	}
	return d.postWebhook(ctx, s.Destination, string(secret), n.Payload)
}

// failed logs a failed delivery attempt, with the notification, the
// destination and the reason, and counts it in FailedAttempts.
func (d *Dispatcher) failed(n *keygate.Notification, res result) {
	d.FailedAttempts.Add(1)
	reason := res.body
	if len(reason) > 200 {
		reason = reason[:200] + "…"
	}
	d.cfg.Logger.Warn("notify: delivery attempt failed", "notification", n.ID, "destination", n.SettingID,
		"status", res.code, "reason", reason, "final", res.final)
}
