package wire

import (
	"encoding/hex"

	"github.com/keygate/keygate"
)

// AuditEntry is keygate's audit_log entity (an extension: Paddle has no
// audit log), as GET /audit-log lists it and `keygate audit export` writes
// it, one per line. Hashes are lowercase hex; occurred_at keeps the
// microseconds the hash covers.
type AuditEntry struct {
	ID          string     `json:"id"`
	AccountID   string     `json:"account_id"`
	Seq         int64      `json:"seq"`
	Environment string     `json:"environment"`
	Actor       AuditActor `json:"actor"`
	Action      string     `json:"action"`
	TargetID    string     `json:"target_id"`
	Detail      string     `json:"detail"`
	OccurredAt  string     `json:"occurred_at"`
	PrevHash    string     `json:"prev_hash"`
	Hash        string     `json:"hash"`
}

// AuditActor is an audit entry's actor.
type AuditActor struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// NewAuditEntry returns the wire form of e.
func NewAuditEntry(e *keygate.AuditEntry) *AuditEntry {
	return &AuditEntry{
		ID: e.ID, AccountID: e.AccountID, Seq: e.Seq, Environment: string(e.Environment),
		Actor:  AuditActor{Type: string(e.Actor.Type), ID: e.Actor.ID, IP: e.Actor.IP, UserAgent: e.Actor.UserAgent},
		Action: string(e.Action), TargetID: e.TargetID, Detail: e.Detail,
		OccurredAt: e.OccurredAt.UTC().Format(keygate.AuditTimeFormat),
		PrevHash:   hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
	}
}
