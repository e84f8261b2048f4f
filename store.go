package keygate

import (
	"context"
	"time"
)

// Store is keygate's persistence. The sqlite and postgres packages implement
// it; the storetest package is the conformance suite both pass.
//
// All work happens inside a transaction. A Store is safe for concurrent use.
type Store interface {
	// Update runs fn in a read-write transaction and commits it if fn returns
	// nil. Entities fn reads in it are locked against concurrent Update
	// transactions until it ends, so a read-check-write is safe.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// KeyPrefix records want as the prefix of the database's standard API
	// keys unless one is recorded already (a database is created with its
	// prefix, and a database that held keys before the setting existed has
	// "pdl"), and returns the recorded prefix. API keys read afterwards
	// carry it in KeyPrefix; before, they carry "" (the default).
	KeyPrefix(ctx context.Context, want string) (string, error)
	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Tx is one transaction of a Store. It must not be used after the function
// that received it returns. Its methods return *Error with CodeNotFound for a
// missing entity and CodeConflict for a uniqueness violation; any other error
// is internal.
type Tx interface {
	// CreateAccount inserts a new account.
	CreateAccount(ctx context.Context, a *Account) error
	// FindAccountByID returns an account; CodeNotFound if there is none.
	FindAccountByID(ctx context.Context, id string) (*Account, error)
	// FindAccounts returns a page of accounts and the total of the filter.
	FindAccounts(ctx context.Context, f AccountFilter) ([]*Account, int, error)

	// CreatePartner inserts a partner.
	CreatePartner(ctx context.Context, p *Partner) error
	// FindPartnerByID returns a partner; CodeNotFound if there is none.
	FindPartnerByID(ctx context.Context, id string) (*Partner, error)
	// FindPartnerByKeyID returns the partner whose key has that entity ID
	// ("psk_…"); CodeNotFound if there is none.
	FindPartnerByKeyID(ctx context.Context, keyID string) (*Partner, error)
	// LinkUserAPIKey records that an API key is a user's own (a
	// user_api_key), which magic sessions require.
	LinkUserAPIKey(ctx context.Context, apiKeyID, userID string) error
	// FindUserOfAPIKey returns the user an API key belongs to; CodeNotFound
	// if it is an account's key, not a user's.
	FindUserOfAPIKey(ctx context.Context, apiKeyID string) (*User, error)

	// CreateMagicCode stores a magic-session code (its hash) for a user.
	CreateMagicCode(ctx context.Context, hash []byte, userID string, env Environment, expires, now time.Time) error
	// RedeemMagicCode marks the code used and returns its user, if it is
	// unused, unexpired at now and of env; CodeNotFound otherwise (and the
	// code is untouched). Of any number of redemptions at once, exactly one
	// succeeds.
	RedeemMagicCode(ctx context.Context, hash []byte, env Environment, now time.Time) (userID string, err error)
	// CreateSetupLink stores a one-time set-up link (its hash) for env.
	CreateSetupLink(ctx context.Context, hash []byte, env Environment, expires, now time.Time) error
	// FindSetupLink returns nil if the link is unused, unexpired at now and
	// of env; CodeNotFound otherwise.
	FindSetupLink(ctx context.Context, hash []byte, env Environment, now time.Time) error
	// RedeemSetupLink marks the link used if FindSetupLink would accept it;
	// CodeNotFound otherwise. Of any number of redemptions at once, in any
	// processes, exactly one succeeds.
	RedeemSetupLink(ctx context.Context, hash []byte, env Environment, now time.Time) error
	// UpdateAccountBusiness writes an account's name and business details.
	UpdateAccountBusiness(ctx context.Context, id, name string, business []byte, now time.Time) error
	// FindAccountBusiness returns an account's business details (JSON).
	FindAccountBusiness(ctx context.Context, id string) ([]byte, error)

	// CreateUser inserts a new user; CodeConflict if its e-mail is taken in
	// its environment.
	CreateUser(ctx context.Context, u *User) error
	// FindUserByEmail returns the user with that (normalised) e-mail address
	// in env; CodeNotFound if there is none.
	FindUserByEmail(ctx context.Context, env Environment, email string) (*User, error)

	// FindUserByID returns a user; CodeNotFound if there is none.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// CountUsers returns how many users exist in env, or in every
	// environment when env is "".
	CountUsers(ctx context.Context, env Environment) (int, error)

	// CreateSession inserts a dashboard session.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session whose token hashes to hash, unless it
	// expired by now; CodeNotFound otherwise.
	FindSession(ctx context.Context, hash []byte, now time.Time) (*Session, error)
	// DeleteSession deletes a session (signing out).
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteExpiredSessions deletes the sessions expired by now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	// CountSignInAttempt counts one sign-in attempt under key, in the
	// window of length window that is open at now (or a new one from now),
	// and returns the count including this attempt and when the window
	// began. It is one atomic statement: of N attempts at once, each sees a
	// different count.
	CountSignInAttempt(ctx context.Context, key string, now time.Time, window time.Duration) (int, time.Time, error)
	// ForgiveSignInAttempt takes one attempt off key's count.
	ForgiveSignInAttempt(ctx context.Context, key string) error
	// ForgetSignInAttempts deletes key's count.
	ForgetSignInAttempts(ctx context.Context, key string) error
	// DeleteOldSignInAttempts deletes the counts whose window began at or
	// before cutoff.
	DeleteOldSignInAttempts(ctx context.Context, cutoff time.Time) error

	// CreateAPIKey inserts a new API key.
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// FindAPIKeyByID returns the API key with that ID in any account;
	// CodeNotFound if there is none. Callers acting for an account must
	// check the key's AccountID.
	FindAPIKeyByID(ctx context.Context, id string) (*APIKey, error)
	// FindAPIKeyCredential returns what authenticating with the API key of
	// that ID reads: its ID, AccountID, Environment, Status, Permissions,
	// Rotatable, Legacy, SecretHash, ExpiresAt and controls (AllowedIPs,
	// RateLimit, Credits); every other field is zero. CodeNotFound if there
	// is none. It reads less than FindAPIKeyByID, for a cache miss.
	FindAPIKeyCredential(ctx context.Context, id string) (*APIKey, error)
	// EachRecentAPIKey calls fn with the standard (not legacy) API keys in
	// service at now (active, unexpired) that were used at least once, the
	// most recently used first, at most limit of them, and stops at fn's
	// first error, which it returns. fn must not use the Tx: rows are still
	// being read. It is what a starting node loads into its cache.
	EachRecentAPIKey(ctx context.Context, now time.Time, limit int, fn func(*APIKey) error) error
	// FindAPIKeyByHash returns the key whose secret hash is hash in env, for
	// legacy keys, which carry no ID; CodeNotFound if there is none.
	FindAPIKeyByHash(ctx context.Context, env Environment, hash []byte) (*APIKey, error)
	// FindAPIKeys returns a page of API keys and the total of the filter.
	FindAPIKeys(ctx context.Context, f APIKeyFilter) ([]*APIKey, int, error)
	// UpdateAPIKey writes every mutable field of k except LastUsedAt, which
	// only TouchAPIKeys writes; CodeNotFound if it does not exist.
	UpdateAPIKey(ctx context.Context, k *APIKey) error
	// UpdateAPIKeyCredits writes k's credits only, recording no change: a
	// spend is shared by the nodes that spend, not announced to all.
	// CodeNotFound if it does not exist.
	UpdateAPIKeyCredits(ctx context.Context, k *APIKey) error
	// TouchAPIKeys records last-used times and adds requests and refusals
	// to the hourly usage; a time earlier than the one stored is ignored,
	// and unknown IDs are skipped. An entry with refusals and no requests
	// leaves the last-used time alone. It is not a change: it writes no change-feed entry and no
	// event.
	TouchAPIKeys(ctx context.Context, uses []LastUse) error
	// FindAPIKeyUsage returns the hourly usage of a key since since, oldest
	// first; hours without requests are absent.
	FindAPIKeyUsage(ctx context.Context, id string, since time.Time) ([]Usage, error)

	// CreateAPIKeyRotation inserts a rotation; CodeConflict if its key
	// already has a pending one. Like every rotation write it adds the key
	// to the change feed, so that every node reloads the key's secrets.
	CreateAPIKeyRotation(ctx context.Context, r *APIKeyRotation) error
	// UpdateAPIKeyRotation writes a rotation's status, expiry and update
	// time; CodeNotFound if it does not exist.
	UpdateAPIKeyRotation(ctx context.Context, r *APIKeyRotation) error
	// FindAPIKeyRotationByID returns a rotation of any key; CodeNotFound if
	// there is none. Callers must check its APIKeyID.
	FindAPIKeyRotationByID(ctx context.Context, id string) (*APIKeyRotation, error)
	// FindAPIKeyRotations returns a page of a key's rotations and the total
	// of the filter.
	FindAPIKeyRotations(ctx context.Context, f APIKeyRotationFilter) ([]*APIKeyRotation, int, error)
	// FindLiveAPIKeyRotations returns the rotations of a key that still
	// decide a secret at now: the pending one and the completed one whose
	// grace runs past now, oldest first (at most one of each).
	FindLiveAPIKeyRotations(ctx context.Context, apiKeyID string, now time.Time) ([]*APIKeyRotation, error)

	// FindAPIKeysExpiryDue returns, locked, up to limit active keys whose
	// api_key.expiring notice is due (expiry before noticeBefore and not
	// noticed yet) or whose expiry has come (before now), soonest first.
	FindAPIKeysExpiryDue(ctx context.Context, now, noticeBefore time.Time, limit int) ([]*APIKey, error)

	// CreateNotificationSetting inserts a destination.
	CreateNotificationSetting(ctx context.Context, s *NotificationSetting) error
	// FindNotificationSettingByID returns a destination of any account;
	// CodeNotFound if there is none.
	FindNotificationSettingByID(ctx context.Context, id string) (*NotificationSetting, error)
	// FindNotificationSettings returns a page of an account's destinations.
	FindNotificationSettings(ctx context.Context, f NotificationSettingFilter) ([]*NotificationSetting, int, error)
	// UpdateNotificationSetting writes a destination's mutable fields.
	UpdateNotificationSetting(ctx context.Context, s *NotificationSetting) error
	// DeleteNotificationSetting deletes a destination and its notifications.
	DeleteNotificationSetting(ctx context.Context, id string) error

	// CreateNotification inserts a notification, due at its RetryAt.
	CreateNotification(ctx context.Context, n *Notification) error
	// FindNotificationByID returns a notification of any account;
	// CodeNotFound if there is none.
	FindNotificationByID(ctx context.Context, id string) (*Notification, error)
	// FindNotifications returns a page of an account's notifications.
	FindNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, int, error)
	// UpdateNotification writes a notification's delivery fields and
	// releases any claim on it.
	UpdateNotification(ctx context.Context, n *Notification) error
	// ClaimNotifications claims up to limit notifications due at now for
	// delivery until until, except those of the destinations (setting IDs)
	// in skip: no other claim takes them before then, so a dispatcher that
	// dies mid-delivery leaves them to be claimed again.
	ClaimNotifications(ctx context.Context, now, until time.Time, limit int, skip []string) ([]*Notification, error)
	// CreateNotificationLog records a delivery attempt.
	CreateNotificationLog(ctx context.Context, l *NotificationLog) error
	// FindNotificationLogs returns a page of a notification's attempts.
	FindNotificationLogs(ctx context.Context, notificationID string, p Page) ([]*NotificationLog, int, error)
	// FindEventByID returns an event of any account; CodeNotFound if none.
	FindEventByID(ctx context.Context, id string) (*Event, error)

	// FindChanges returns up to limit entries of the change feed after
	// sequence number after, oldest first. CreateAPIKey and UpdateAPIKey
	// write the entries, in the same transaction as their change.
	FindChanges(ctx context.Context, after int64, limit int) ([]Change, error)
	// LastChangeSeq returns the sequence number of the newest change, or 0.
	LastChangeSeq(ctx context.Context) (int64, error)

	// CreateClientToken inserts a client-side token.
	CreateClientToken(ctx context.Context, t *ClientToken) error
	// FindClientTokenByID returns a client-side token of any account;
	// CodeNotFound if there is none.
	FindClientTokenByID(ctx context.Context, id string) (*ClientToken, error)
	// FindClientTokenByToken returns the client-side token with that value;
	// CodeNotFound if there is none.
	FindClientTokenByToken(ctx context.Context, token string) (*ClientToken, error)
	// FindClientTokens returns a page of an account's client-side tokens.
	FindClientTokens(ctx context.Context, f ClientTokenFilter) ([]*ClientToken, int, error)
	// UpdateClientToken writes a client-side token's mutable fields.
	UpdateClientToken(ctx context.Context, t *ClientToken) error

	// CreateAPIKeyExposure inserts an exposure; CodeConflict if one of the
	// same key, source and reference exists.
	CreateAPIKeyExposure(ctx context.Context, x *APIKeyExposure) error
	// FindAPIKeyExposure returns the exposure of a key by source and
	// reference; CodeNotFound if there is none.
	FindAPIKeyExposure(ctx context.Context, apiKeyID string, source ExposureSource, reference string) (*APIKeyExposure, error)
	// FindAPIKeyExposures returns a page of an account's exposures.
	FindAPIKeyExposures(ctx context.Context, f APIKeyExposureFilter) ([]*APIKeyExposure, int, error)
	// CountUnseenExposures returns how many exposures of risk in an account
	// no user has viewed.
	CountUnseenExposures(ctx context.Context, accountID string, risk ExposureRisk) (int, error)
	// MarkExposuresSeen marks a key's unseen exposures seen at now.
	MarkExposuresSeen(ctx context.Context, apiKeyID string, now time.Time) error

	// CreateUserMails queues an e-mail about event e, whose webhook body is
	// payload, to every user of the event's account, and returns how many.
	CreateUserMails(ctx context.Context, e *Event, payload []byte, now time.Time) (int, error)
	// ClaimUserMails claims up to limit user e-mails due at now until until.
	ClaimUserMails(ctx context.Context, now, until time.Time, limit int) ([]*UserMail, error)
	// UpdateUserMail writes a user e-mail's delivery fields and releases
	// its claim.
	UpdateUserMail(ctx context.Context, m *UserMail) error

	// RecordAudit adds e to the audit log of e.AccountID, in this
	// transaction: it commits with the change it records, or not at all.
	// The entry is chained when the transaction's work is done: its Seq,
	// PrevHash and Hash are set then, with the account's chain head locked
	// until commit, so that concurrent writers of one account never fork
	// its chain. Only an Update transaction records.
	RecordAudit(ctx context.Context, e *AuditEntry) error
	// FindAuditEntries returns a page of an account's audit entries and the
	// total of the filter.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
	// FindAuditChain returns up to limit entries of an account's chain
	// after seq after, in Seq order.
	FindAuditChain(ctx context.Context, accountID string, after int64, limit int) ([]*AuditEntry, error)
	// FindAuditHeads returns the chain head of every account with an audit
	// log, by account ID.
	FindAuditHeads(ctx context.Context) ([]AuditHead, error)
	// PruneAudit deletes up to limit of the oldest entries of an account's
	// chain, those before the first entry at or after cutoff, and records
	// the last one deleted as the chain's anchor, with the head locked as
	// writers lock it. It returns how many it deleted.
	PruneAudit(ctx context.Context, accountID string, cutoff time.Time, limit int) (int, error)

	// CreateEvent inserts an event.
	CreateEvent(ctx context.Context, e *Event) error
	// FindEvents returns a page of events and the total of the filter.
	FindEvents(ctx context.Context, f EventFilter) ([]*Event, int, error)
}

// Page selects a page of a list ordered by ID.
type Page struct {
	// After is the ID after which the page starts (exclusive); "" for the
	// first page.
	After string
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
	// Desc orders by ID descending (newest first) instead of ascending.
	Desc bool
	// SkipCount skips counting the filter's total; the total is then -1.
	SkipCount bool
}

// Pagination limits, as Paddle's.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	// MaxCount is the largest total a list reports exactly; beyond it the
	// total is MaxCount+1, as Paddle's estimated_total.
	MaxCount = 100000
)

// Size returns the number of rows to read: Limit clamped to
// [1, MaxPageSize+1], with DefaultPageSize for 0. The one row past the
// largest page lets a caller that asks for a page and one more tell whether
// another page follows.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize+1:
		return MaxPageSize + 1
	}
	return p.Limit
}

// AccountFilter selects accounts.
type AccountFilter struct {
	Environment *Environment
	Page
}

// APIKeyFilter selects the API keys of one account.
type APIKeyFilter struct {
	// AccountID is required: keys are only ever listed within an account.
	AccountID string
	// IDs keeps only these keys, if not empty.
	IDs []string
	// Statuses keeps only keys with these statuses at Now, if not empty.
	Statuses []APIKeyStatus
	// Now is the time statuses are evaluated at (a key past its expiry is
	// expired).
	Now time.Time
	Page
}

// ClientTokenFilter selects the client-side tokens of one account.
type ClientTokenFilter struct {
	AccountID string
	// Statuses keeps only tokens with these statuses, if not empty.
	Statuses []ClientTokenStatus
	Page
}

// NotificationSettingFilter selects the destinations of one account.
type NotificationSettingFilter struct {
	AccountID string
	// Active keeps only active (or inactive) destinations, if not nil.
	Active *bool
	// TrafficSource keeps only destinations of this traffic source, if set.
	TrafficSource TrafficSource
	// ShowsSecrets says that the caller shows the destinations' secrets,
	// which the audit log then records as viewed.
	ShowsSecrets bool
	Page
}

// NotificationFilter selects the notifications of one account.
type NotificationFilter struct {
	AccountID string
	// SettingID keeps only the notifications of this destination, if set.
	SettingID string
	// Statuses keeps only notifications with these statuses, if not empty.
	Statuses []NotificationStatus
	Page
}

// EventFilter selects the events of one account.
type EventFilter struct {
	// AccountID is required.
	AccountID string
	// Types keeps only events of these types, if not empty.
	Types []EventType
	// EntityID keeps only events about this entity, if not empty.
	EntityID string
	Page
}

// Change is an entry of the change feed: credential CredentialID changed
// (was created, updated, revoked, reactivated, rotated or expired). Seq
// increases in commit order, so a reader that has seen every change up to
// Seq n never misses one by asking for those after n.
type Change struct {
	Seq          int64
	CredentialID string
	ChangedAt    time.Time
}

// LastUse is a last-used time to record for a credential, with the number
// of requests it made since the last record.
type LastUse struct {
	ID string
	At time.Time
	// Requests are added to the usage of At's hour.
	Requests int64
	// Forbidden is how many requests the credential authenticated but was
	// refused for want of a permission, added to the usage of At's hour. An
	// entry with Forbidden and no Requests records only those: At is then
	// the time of the latest refusal, not a use.
	Forbidden int64
}

// Usage is how many requests a key made in one hour: Requests that were
// served, and Forbidden ones refused for want of a permission.
type Usage struct {
	Hour      time.Time
	Requests  int64
	Forbidden int64
}

// ChangeNotifier is implemented by stores that can push notice of changes
// made by other processes (PostgreSQL's LISTEN/NOTIFY), so that readers of
// the change feed need not wait for their next poll.
type ChangeNotifier interface {
	// ChangeNotices returns a channel that receives a value soon after any
	// process commits a change, until ctx ends. Notices may be coalesced or,
	// on a lost connection, missed: it complements polling, never replaces it.
	// Where a notice names the credentials changed (by entity ID), changed,
	// if not nil, is called with them first, as soon as the notice arrives
	// and before the change feed is read: a change is then in force without
	// waiting for that read. The channel's notice still follows.
	ChangeNotices(ctx context.Context, changed func(credentialIDs []string)) <-chan struct{}
}

// DirectReader is implemented by stores that can run reads outside any
// transaction, each statement on its own and prepared once per connection:
// for the one-row lookups of a cache miss, where a transaction costs round
// trips (BEGIN and COMMIT on PostgreSQL) and an unprepared statement costs
// parsing (SQLite). Reads of several rows in one fn may see different
// states: use View when they must agree.
type DirectReader interface {
	// ReadDirect runs fn, whose Tx may only read.
	ReadDirect(ctx context.Context, fn func(Tx) error) error
}
