package app

import (
	"context"
	"crypto/sha256"
	"errors"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
)

// errBadCredentials is the one answer to a failed sign-in, whatever failed.
var errBadCredentials = keygate.Errorf(keygate.CodeForbidden, "The e-mail address or the password is wrong.")

// errHashBusy answers a sign-in that found the password-hashing budget
// full for its whole wait.
var errHashBusy = &keygate.Error{Code: keygate.CodeTooManyRequests, Message: "Too many sign-ins at once. Try again in a few seconds.", Err: ErrHashBusy}

// SignIn checks a user's e-mail and password in env and opens a session.
// It returns the session and its token (the cookie's value, stored nowhere).
// ip is the client's address, for the per-IP count ("" for none). The
// attempt is counted before it is checked (see SignInLockAfter): a locked
// address is CodeTooManyRequests with ErrSignInLocked in its chain, and a
// full hashing budget CodeTooManyRequests with ErrHashBusy.
func (s *Service) SignIn(ctx context.Context, env keygate.Environment, email, password, ip string) (*keygate.Session, string, error) {
	email = keygate.NormalizeEmail(email)
	keys := signInKeys(env, email, ip)
	delay, err := s.countAttempt(ctx, keys)
	if err != nil {
		return nil, "", err
	}
	if err := sleep(ctx, delay); err != nil {
		return nil, "", err
	}
	var u *keygate.User
	err = s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		u, err = tx.FindUserByEmail(ctx, env, email)
		return err
	})
	// An unknown e-mail is checked against a decoy with the same
	// parameters, so that it costs the same time and memory.
	hash := credential.DecoyPasswordHash()
	if err == nil {
		hash = u.PasswordHash
	} else if keygate.ErrorCode(err) != keygate.CodeNotFound {
		return nil, "", err
	}
	var ok bool
	var perr error
	if berr := s.HashBudget.Do(ctx, func() { ok, perr = credential.CheckPassword(hash, password) }); berr != nil {
		if serr := s.settleAttempt(context.WithoutCancel(ctx), keys, false); serr != nil {
			return nil, "", serr
		}
		return nil, "", hashBusy(berr)
	}
	if err != nil || perr != nil || !ok {
		if rerr := s.recordFailedSignIn(ctx, env, email, u); rerr != nil {
			return nil, "", rerr
		}
		return nil, "", errBadCredentials
	}
	if err := s.settleAttempt(ctx, keys, true); err != nil {
		return nil, "", err
	}
	return s.openSession(ctx, u, keygate.AuditSignIn, "")
}

// recordFailedSignIn records a sign-in refused for a wrong password (u is
// the user of the address, nil if none: the entry then belongs to no
// account). The address is the entry's detail, as typed.
func (s *Service) recordFailedSignIn(ctx context.Context, env keygate.Environment, email string, u *keygate.User) error {
	actor, account, target := keygate.Actor{Type: keygate.ActorAnonymous}, "", ""
	if u != nil {
		account, target = u.AccountID, u.ID
	}
	return s.Store.Update(context.WithoutCancel(ctx), func(tx keygate.Tx) error {
		return record(ctx, tx, actor, account, env, keygate.AuditSignInFailed, target, email, s.now())
	})
}

// openSession creates a session for u and records action (a sign-in of
// some kind) by u, with detail, in the audit log.
func (s *Service) openSession(ctx context.Context, u *keygate.User, action keygate.AuditAction, detail string) (*keygate.Session, string, error) {
	now := s.now()
	token := credential.NewSessionToken()
	hash := sha256.Sum256([]byte(token))
	sess := &keygate.Session{
		TokenHash: hash[:], UserID: u.ID, AccountID: u.AccountID, Environment: u.Environment,
		CSRFToken: credential.NewSessionToken(), ExpiresAt: now.Add(keygate.SessionLifetime), CreatedAt: now,
	}
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		if err := tx.DeleteExpiredSessions(ctx, now); err != nil {
			return err
		}
		if err := tx.DeleteOldSignInAttempts(ctx, now.Add(-SignInWindow)); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		return record(ctx, tx, userActor(u.ID), u.AccountID, u.Environment, action, u.ID, detail, now)
	})
	if err != nil {
		return nil, "", err
	}
	return sess, token, nil
}

// Session returns the live session of a token; CodeNotFound if there is
// none (never was, signed out, or expired).
func (s *Service) Session(ctx context.Context, token string) (*keygate.Session, error) {
	hash := sha256.Sum256([]byte(token))
	var sess *keygate.Session
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) {
		sess, err = tx.FindSession(ctx, hash[:], s.now())
		return err
	})
	return sess, err
}

// SignOut ends the session of a token.
func (s *Service) SignOut(ctx context.Context, token string) error {
	hash := sha256.Sum256([]byte(token))
	return s.Store.Update(ctx, func(tx keygate.Tx) error { return tx.DeleteSession(ctx, hash[:]) })
}

// HasUsers reports whether any user exists in env (in any environment when
// env is ""); an environment without one offers the first-run set-up.
func (s *Service) HasUsers(ctx context.Context, env keygate.Environment) (bool, error) {
	var n int
	err := s.Store.View(ctx, func(tx keygate.Tx) (err error) { n, err = tx.CountUsers(ctx, env); return err })
	return n > 0, err
}

// SetUp creates the first account and its first user of the account's
// environment, and signs the user in, in one transaction that uses up the
// set-up link (CodeNotFound if it is not valid, or of another environment
// than the account) and refuses (CodeConflict) once that environment has a
// user. Each environment is set up on its own. A refused set-up leaves the
// link unused.
func (s *Service) SetUp(ctx context.Context, link string, account keygate.AccountCreate, user keygate.UserCreate) (*keygate.Session, string, error) {
	if err := account.Validate(); err != nil {
		return nil, "", err
	}
	email, err := user.Validate()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	a := &keygate.Account{ID: credential.NewID("acc", now), Environment: account.Environment, Name: account.Name, CreatedAt: now, UpdatedAt: now}
	var hash string
	if err := s.HashBudget.Do(ctx, func() { hash = credential.HashPassword(user.Password) }); err != nil {
		return nil, "", hashBusy(err)
	}
	u := &keygate.User{ID: credential.NewID("usr", now), AccountID: a.ID, Environment: a.Environment, Email: email,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	linkHash := sha256.Sum256([]byte(link))
	err = s.Store.Update(ctx, func(tx keygate.Tx) error {
		if err := tx.RedeemSetupLink(ctx, linkHash[:], a.Environment, now); err != nil {
			return err
		}
		if n, err := tx.CountUsers(ctx, a.Environment); err != nil {
			return err
		} else if n > 0 {
			return keygate.Errorf(keygate.CodeConflict, "The %s environment is set up already: sign in instead.", a.Environment)
		}
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return record(ctx, tx, userActor(u.ID), a.ID, a.Environment, keygate.AuditSetUp, a.ID, "first user "+u.Email, now)
	})
	if err != nil {
		return nil, "", err
	}
	return s.openSession(ctx, u, keygate.AuditSignIn, "after set-up")
}

// hashBusy is the error of a sign-in or set-up the hashing budget turned
// away: errHashBusy when it was full, else the context's error.
func hashBusy(err error) error {
	if errors.Is(err, credential.ErrHashBusy) {
		return errHashBusy
	}
	return err
}
