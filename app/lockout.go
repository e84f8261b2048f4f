package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate"
)

// The sign-in lockout. Attempts are counted in the database before the
// password is checked, in one atomic statement each, so that the limit
// holds however many attempts arrive at once and on however many nodes:
//
//   - per e-mail address: after SignInSlowAfter attempts in a window each
//     further one waits a little longer, and after SignInLockAfter the
//     address is locked until its window closes (SignInWindow after its
//     first attempt); the right password does not open it meanwhile. A
//     successful sign-in clears the count.
//   - per client IP: past SignInIPSlowAfter attempts in a window, each
//     further attempt from that IP waits longer (up to SignInIPMaxDelay),
//     but no address is locked by it, so one noisy client behind a shared
//     IP cannot lock every other user of that IP out.
const (
	SignInWindow      = 15 * time.Minute
	SignInLockAfter   = 10
	SignInSlowAfter   = 3
	SignInIPSlowAfter = 50
	SignInIPMaxDelay  = 10 * time.Second
)

// ErrSignInLocked is in the chain of the error of a sign-in refused by the
// lockout (CodeTooManyRequests).
var ErrSignInLocked = errors.New("app: too many failed sign-ins for this address")

// ErrHashBusy is in the chain of the error of a sign-in turned away because
// the password-hashing budget stayed full (CodeTooManyRequests).
var ErrHashBusy = errors.New("app: password-hashing budget full")

// attemptKeys are the counters of a sign-in attempt, and its environment
// and address.
type attemptKeys struct {
	email, ip string
	env       keygate.Environment
	address   string
}

func signInKeys(env keygate.Environment, email, ip string) attemptKeys {
	k := attemptKeys{email: string(env) + "|email|" + email, env: env, address: email}
	if ip != "" {
		k.ip = string(env) + "|ip|" + ip
	}
	return k
}

// countAttempt counts one attempt under each key and returns how long the
// attempt must wait, or ErrSignInLocked's error if the address is locked.
func (s *Service) countAttempt(ctx context.Context, k attemptKeys) (time.Duration, error) {
	now := s.now()
	var nEmail, nIP int
	var start time.Time
	err := s.Store.Update(ctx, func(tx keygate.Tx) (err error) {
		if nEmail, start, err = tx.CountSignInAttempt(ctx, k.email, now, SignInWindow); err != nil {
			return err
		}
		if k.ip != "" {
			if nIP, _, err = tx.CountSignInAttempt(ctx, k.ip, now, SignInWindow); err != nil {
				return err
			}
		}
		if nEmail == SignInLockAfter+1 {
			return recordLockout(ctx, tx, k, now)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if nEmail > SignInLockAfter {
		left := max(start.Add(SignInWindow).Sub(now), time.Minute)
		return 0, &keygate.Error{Code: keygate.CodeTooManyRequests, Err: ErrSignInLocked,
			Message: fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", int(left.Round(time.Minute)/time.Minute))}
	}
	var delay time.Duration
	if nEmail > SignInSlowAfter {
		delay = time.Duration(nEmail-SignInSlowAfter) * 250 * time.Millisecond
	}
	if ipSlow := cmp.Or(s.SignInIPSlowAfter, SignInIPSlowAfter); nIP > ipSlow {
		delay = max(delay, min(time.Duration(nIP-ipSlow)*250*time.Millisecond, SignInIPMaxDelay))
	}
	return delay, nil
}

// recordLockout records, in the attempt's transaction, that k's address
// was just locked: by an anonymous client, to the address's user (and
// account) if there is one.
func recordLockout(ctx context.Context, tx keygate.Tx, k attemptKeys, now time.Time) error {
	account, target := "", ""
	u, err := tx.FindUserByEmail(ctx, k.env, k.address)
	if err == nil {
		account, target = u.AccountID, u.ID
	} else if keygate.ErrorCode(err) != keygate.CodeNotFound {
		return err
	}
	detail := fmt.Sprintf("%s locked for %s after %d attempts", k.address, SignInWindow, SignInLockAfter)
	return record(ctx, tx, keygate.Actor{Type: keygate.ActorAnonymous}, account, k.env, keygate.AuditLockout, target, detail, now)
}

// settleAttempt records the outcome of a counted attempt: a success clears
// the address's count and takes the attempt off the IP's; an attempt that
// got no verdict (the hashing budget was full) is taken off both.
func (s *Service) settleAttempt(ctx context.Context, k attemptKeys, succeeded bool) error {
	return s.Store.Update(ctx, func(tx keygate.Tx) error {
		var err error
		if succeeded {
			err = tx.ForgetSignInAttempts(ctx, k.email)
		} else {
			err = tx.ForgiveSignInAttempt(ctx, k.email)
		}
		if err == nil && k.ip != "" {
			err = tx.ForgiveSignInAttempt(ctx, k.ip)
		}
		return err
	})
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
