package sqlstore

import (
	"database/sql"
	"encoding/json"
	"net/netip"
	"time"

	"github.com/keygate/keygate"
)

// controlArgs are the stored forms of a key's controls: NULL for none.
type controlArgs struct {
	allowedIPs, rateLimit, remaining, credits any
}

// storedCredits is the JSON of the credits column: the credits' state but
// the balance, which has a column of its own.
type storedCredits struct {
	Granted    int64                 `json:"granted"`
	Refill     *keygate.CreditRefill `json:"refill"`
	RefilledAt time.Time             `json:"refilled_at"`
	Notified   int                   `json:"notified"`
}

// controlColumns returns the stored forms of k's controls.
func controlColumns(k *keygate.APIKey) (controlArgs, error) {
	var c controlArgs
	if len(k.AllowedIPs) > 0 {
		b, err := json.Marshal(k.AllowedIPs)
		if err != nil {
			return c, err
		}
		c.allowedIPs = string(b)
	}
	if k.RateLimit != nil {
		b, err := json.Marshal(k.RateLimit)
		if err != nil {
			return c, err
		}
		c.rateLimit = string(b)
	}
	if cr := k.Credits; cr != nil {
		b, err := json.Marshal(storedCredits{Granted: cr.Granted, Refill: cr.Refill, RefilledAt: cr.RefilledAt.UTC(), Notified: cr.Notified})
		if err != nil {
			return c, err
		}
		c.remaining, c.credits = cr.Remaining, string(b)
	}
	return c, nil
}

// controls are the scanned control columns of a key.
type controls struct {
	ips, rate, credits sql.NullString
	remaining          sql.NullInt64
}

// decode sets k's controls from the columns.
func (c *controls) decode(k *keygate.APIKey) error {
	if c.ips.Valid {
		var ips []netip.Prefix
		if err := json.Unmarshal([]byte(c.ips.String), &ips); err != nil {
			return err
		}
		k.AllowedIPs = ips
	}
	if c.rate.Valid {
		k.RateLimit = new(keygate.RateLimit)
		if err := json.Unmarshal([]byte(c.rate.String), k.RateLimit); err != nil {
			return err
		}
	}
	if c.credits.Valid {
		var s storedCredits
		if err := json.Unmarshal([]byte(c.credits.String), &s); err != nil {
			return err
		}
		k.Credits = &keygate.Credits{Remaining: c.remaining.Int64, Granted: s.Granted, Refill: s.Refill, RefilledAt: s.RefilledAt.UTC(), Notified: s.Notified}
	}
	return nil
}
