package keygate

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
)

// ActorType is the kind of party an audit entry names as its actor.
type ActorType string

// The actors of the audit log.
const (
	// ActorUser is a dashboard user ("usr_…").
	ActorUser ActorType = "user"
	// ActorAPIKey is an API key acting through the API ("apikey_…").
	ActorAPIKey ActorType = "api_key"
	// ActorPartner is a partner acting with its partner key ("pid_…").
	ActorPartner ActorType = "partner"
	// ActorOperator is whoever runs the keygate command line on the
	// server; its ID is the operating system's user name, if known.
	ActorOperator ActorType = "operator"
	// ActorSystem is keygate itself: the expiry scan, and exposures
	// reported by code hosts (its ID names which: "expiry", "github", …).
	ActorSystem ActorType = "system"
	// ActorAnonymous is an unauthenticated client, as the maker of a
	// failed sign-in.
	ActorAnonymous ActorType = "anonymous"
)

// ActorTypes lists the actor types, for filters.
var ActorTypes = []ActorType{ActorUser, ActorAPIKey, ActorPartner, ActorOperator, ActorSystem, ActorAnonymous}

// Actor is who did what an audit entry records, and from where.
type Actor struct {
	Type ActorType
	// ID names the actor within its type ("usr_…", "apikey_…", "pid_…").
	ID string
	// IP and UserAgent are the client's, where known ("" otherwise).
	IP        string
	UserAgent string
}

// AuditAction is what an audit entry records.
type AuditAction string

// The actions of the audit log.
const (
	AuditKeyCreated      AuditAction = "api_key.created"
	AuditKeyUpdated      AuditAction = "api_key.updated"
	AuditKeyRotated      AuditAction = "api_key.rotated"
	AuditKeyRevoked      AuditAction = "api_key.revoked"
	AuditKeyReactivated  AuditAction = "api_key.reactivated"
	AuditKeyExpired      AuditAction = "api_key.expired"
	AuditExposureFound   AuditAction = "api_key_exposure.created"
	AuditDestinationNew  AuditAction = "notification_setting.created"
	AuditSecretViewed    AuditAction = "notification_setting.secret_viewed"
	AuditSignIn          AuditAction = "user.signed_in"
	AuditSignInFailed    AuditAction = "user.sign_in_failed"
	AuditLockout         AuditAction = "user.locked_out"
	AuditMagicLogin      AuditAction = "user.magic_session_login"
	AuditSetUp           AuditAction = "account.set_up"
	AuditDestinationEdit AuditAction = "notification_setting.updated"
	AuditDestinationGone AuditAction = "notification_setting.deleted"
	AuditSellerCreated   AuditAction = "account.created"
)

// AuditActions lists every action, for filters and the dashboard.
var AuditActions = []AuditAction{
	AuditKeyCreated, AuditKeyUpdated, AuditKeyRotated, AuditKeyRevoked, AuditKeyReactivated, AuditKeyExpired,
	AuditExposureFound, AuditDestinationNew, AuditDestinationEdit, AuditDestinationGone, AuditSecretViewed,
	AuditSignIn, AuditSignInFailed, AuditLockout, AuditMagicLogin, AuditSetUp, AuditSellerCreated,
}

// KnownAuditAction reports whether a is one of AuditActions.
func KnownAuditAction(a AuditAction) bool {
	for _, k := range AuditActions {
		if k == a {
			return true
		}
	}
	return false
}

// KnownActorType reports whether t is one of ActorTypes.
func KnownActorType(t ActorType) bool {
	for _, k := range ActorTypes {
		if k == t {
			return true
		}
	}
	return false
}

// AuditEntry is one record of the audit log: actor did action to target at
// OccurredAt. It is written in the same transaction as what it records.
//
// The entries of an account form a hash chain: Seq numbers them 1, 2, …
// without gaps, and Hash is AuditHash(PrevHash, entry), PrevHash being the
// Hash of the entry before (Seq-1), or of the last pruned one, or
// AuditGenesis for the first. Entries that belong to no account (a failed
// sign-in of an unknown e-mail address) chain under AccountID "".
type AuditEntry struct {
	ID          string // "audit_…"
	AccountID   string
	Seq         int64
	Environment Environment
	Actor       Actor
	Action      AuditAction
	// TargetID is the entity acted on ("apikey_…", "usr_…"); "" if none.
	TargetID string
	// Detail is a short free text about the action (the e-mail address of
	// a failed sign-in, the fields of an update); "" if none.
	Detail     string
	OccurredAt time.Time
	PrevHash   []byte
	Hash       []byte
}

// AuditGenesis is the PrevHash of an account's first entry: 32 zero bytes.
var AuditGenesis = make([]byte, sha256.Size)

// auditHashVersion starts every hashed encoding, so that a future encoding
// can never produce the same bytes as this one.
const auditHashVersion = "keygate-audit-v1"

// AuditHash returns SHA-256 of prev followed by the canonical encoding of
// e: the version string and then, each as a 4-byte big-endian length
// followed by its UTF-8 bytes, ID, AccountID, Seq (decimal), Environment,
// Actor.Type, Actor.ID, Actor.IP, Actor.UserAgent, Action, TargetID,
// Detail and OccurredAt (UTC, RFC 3339 with exactly 6 fractional digits).
// The lengths make the encoding unambiguous: no two entries encode alike.
func AuditHash(prev []byte, e *AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [4]byte
	for _, f := range []string{
		auditHashVersion, e.ID, e.AccountID, strconv.FormatInt(e.Seq, 10), string(e.Environment),
		string(e.Actor.Type), e.Actor.ID, e.Actor.IP, e.Actor.UserAgent, string(e.Action), e.TargetID, e.Detail,
		e.OccurredAt.UTC().Format(AuditTimeFormat),
	} {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return h.Sum(nil)
}

// AuditTimeFormat is how OccurredAt is encoded for its hash: microseconds,
// the precision both engines keep.
const AuditTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// AuditFieldMax bounds the free-text fields an entry takes from clients
// (the user agent, a failed sign-in's e-mail address): longer ones are cut.
const AuditFieldMax = 500

// AuditFilter selects the audit entries of one account, newest first
// unless Page.Desc is false. IDs of entries are in Seq order, so the page
// cursor is an entry ID.
type AuditFilter struct {
	// AccountID is required; "" selects the entries of no account, which
	// only the operator reads.
	AccountID  string
	ActorType  ActorType
	ActorID    string
	Actions    []AuditAction
	TargetID   string
	From, Till *time.Time // OccurredAt in [From, Till)
	Page
}

// AuditHead is the state of an account's chain: the Seq and Hash of its
// newest entry, and the anchor its pruned entries left, PrunedSeq and
// PrunedHash, the last pruned entry's (0 and AuditGenesis if none).
type AuditHead struct {
	AccountID  string
	Seq        int64
	Hash       []byte
	PrunedSeq  int64
	PrunedHash []byte
}

// AuditBreak is the first broken link of a chain that VerifyAuditChain
// found.
type AuditBreak struct {
	AccountID string
	// Seq is the position of the broken link; EntryID names the entry
	// found there, "" if it is missing.
	Seq     int64
	EntryID string
	Reason  string
}

// Error implements error.
func (b *AuditBreak) Error() string {
	acc := b.AccountID
	if acc == "" {
		acc = "(no account)"
	}
	id := b.EntryID
	if id == "" {
		id = "missing entry"
	}
	return fmt.Sprintf("audit chain of %s broken at seq %d (%s): %s", acc, b.Seq, id, b.Reason)
}

// AuditVerifier checks one account's chain entry by entry, in Seq order,
// from its head's anchor.
type AuditVerifier struct {
	head    AuditHead
	seq     int64
	hash    []byte
	checked int
}

// NewAuditVerifier starts checking the chain of head.
func NewAuditVerifier(head AuditHead) *AuditVerifier {
	prev := head.PrunedHash
	if len(prev) == 0 {
		prev = AuditGenesis
	}
	return &AuditVerifier{head: head, seq: head.PrunedSeq, hash: prev}
}

// Next checks the next entry, which must follow the last one checked.
func (v *AuditVerifier) Next(e *AuditEntry) *AuditBreak {
	brk := func(seq int64, id, reason string) *AuditBreak {
		return &AuditBreak{AccountID: v.head.AccountID, Seq: seq, EntryID: id, Reason: reason}
	}
	switch {
	case e.Seq != v.seq+1:
		return brk(v.seq+1, "", fmt.Sprintf("entry %d is missing (the next one found is %d, %s)", v.seq+1, e.Seq, e.ID))
	case string(e.PrevHash) != string(v.hash):
		return brk(e.Seq, e.ID, "its previous hash is not the hash of the entry before it")
	case string(AuditHash(e.PrevHash, e)) != string(e.Hash):
		return brk(e.Seq, e.ID, "its content does not match its hash: it was changed")
	}
	v.seq, v.hash = e.Seq, e.Hash
	v.checked++
	return nil
}

// Done checks that the last entry checked is the head's newest: entries
// deleted from the end of the chain are missing.
func (v *AuditVerifier) Done() *AuditBreak {
	if v.seq != v.head.Seq {
		return &AuditBreak{AccountID: v.head.AccountID, Seq: v.seq + 1,
			Reason: fmt.Sprintf("the chain ends at entry %d, but its head records %d entries", v.seq, v.head.Seq)}
	}
	if string(v.hash) != string(v.head.Hash) && v.head.Seq > v.head.PrunedSeq {
		return &AuditBreak{AccountID: v.head.AccountID, Seq: v.seq, Reason: "the newest entry's hash is not the one its head records"}
	}
	return nil
}

// Checked returns how many entries were checked.
func (v *AuditVerifier) Checked() int { return v.checked }
