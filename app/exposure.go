package app

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/wire"
)

// MaxExposureReports bounds the tokens of one report.
const MaxExposureReports = 1000

// ReportExposures records the exposures of the leaked tokens reported, as
// Paddle treats a GitHub secret-scanning report: a token that is a key of
// this deployment (either environment; the reporter, not the surface, is
// what was authenticated) is a true positive. An active key is high risk
// and revoked by the system at once (api_key_exposure.created, then
// api_key.revoked, in one transaction); a revoked or expired one is low
// risk and only recorded. The same leak (key, source and reference)
// reported again records nothing new. Every exposure queues an e-mail to
// each user of the key's account, whatever its destinations.
//
// A token that does not have the shape, check digits and prefix of this
// deployment's keys never reaches the store; nor does a report whose key
// ID exists but whose secret is not the key's (anyone can compute a check
// digit, so that alone must not revoke a key).
func (s *Service) ReportExposures(ctx context.Context, reports []keygate.ExposureReport) ([]keygate.ExposureOutcome, error) {
	out := make([]keygate.ExposureOutcome, len(reports))
	for i, r := range reports {
		tok, ok := s.keyOf(r.Token)
		if !ok {
			continue
		}
		o, err := s.reportExposure(ctx, tok, r)
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// keyOf parses a reported token: a standard API key of this deployment's
// prefix, with a valid check.
func (s *Service) keyOf(token string) (credential.Token, bool) {
	tok, err := credential.Parse(token)
	prefix := s.KeyPrefix
	if prefix == "" {
		prefix = credential.DefaultKeyPrefix
	}
	return tok, err == nil && tok.Kind == credential.KindAPIKey && tok.Prefix == prefix
}

// reportExposure records one exposure of the key tok names, in one
// transaction.
func (s *Service) reportExposure(ctx context.Context, tok credential.Token, r keygate.ExposureReport) (keygate.ExposureOutcome, error) {
	now := s.now()
	ref, desc := exposureTexts(r)
	var out keygate.ExposureOutcome
	var revoked string
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		out = keygate.ExposureOutcome{}
		k, err := tx.FindAPIKeyByID(ctx, "apikey_"+tok.ID)
		if keygate.ErrorCode(err) == keygate.CodeNotFound {
			return nil
		} else if err != nil {
			return err
		}
		if known, err := secretOfKey(ctx, tx, k, tok.Secret, now); err != nil || !known {
			return err
		}
		out.Known = true
		if x, err := tx.FindAPIKeyExposure(ctx, k.ID, r.Source, ref); err == nil {
			out.Exposure = x
			return nil
		} else if keygate.ErrorCode(err) != keygate.CodeNotFound {
			return err
		}
		risk, action := k.Expose(now)
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return err
		}
		x := &keygate.APIKeyExposure{
			ID: credential.NewID("apkexp", now), APIKeyID: k.ID, AccountID: k.AccountID, Environment: k.Environment,
			Risk: risk, Action: action, Source: r.Source, Reference: ref, Description: desc, CreatedAt: now,
		}
		if err := tx.CreateAPIKeyExposure(ctx, x); err != nil {
			return err
		}
		e, err := emitEvent(ctx, tx, k.AccountID, k.Environment, keygate.EventExposureCreated, x.ID, wire.NewAPIKeyExposure(x), now)
		if err != nil {
			return err
		}
		if _, err := tx.CreateUserMails(ctx, e, userMailPayload(e), now); err != nil {
			return err
		}
		system := SystemActor(string(r.Source))
		if err := record(ctx, tx, system, k.AccountID, k.Environment, keygate.AuditExposureFound, k.ID, "exposure "+x.ID+" at "+ref, now); err != nil {
			return err
		}
		if action == keygate.ActionRevoked {
			if err := emit(ctx, tx, k.AccountID, k.Environment, keygate.EventAPIKeyRevoked, k.ID, wire.NewAPIKey(k, now), now); err != nil {
				return err
			}
			if err := record(ctx, tx, system, k.AccountID, k.Environment, keygate.AuditKeyRevoked, k.ID, "exposed", now); err != nil {
				return err
			}
			revoked = k.ID
		}
		out.Exposure, out.Created = x, true
		return nil
	})
	if err != nil {
		return keygate.ExposureOutcome{}, err
	}
	if revoked != "" {
		s.changed(revoked)
	} else if out.Created {
		s.wake()
	}
	return out, nil
}

// secretOfKey reports whether secret is k's: its current secret, or the
// new or old secret of a rotation still in force.
func secretOfKey(ctx context.Context, tx keygate.Tx, k *keygate.APIKey, secret string, now time.Time) (bool, error) {
	hash := credential.HashSecret(secret)
	if subtle.ConstantTimeCompare(hash[:], k.SecretHash) == 1 {
		return true, nil
	}
	if !k.Rotatable {
		return false, nil
	}
	rotations, err := tx.FindLiveAPIKeyRotations(ctx, k.ID, now)
	if err != nil {
		return false, err
	}
	for _, r := range rotations {
		if subtle.ConstantTimeCompare(hash[:], r.NewHash) == 1 || subtle.ConstantTimeCompare(hash[:], r.OldHash) == 1 {
			return true, nil
		}
	}
	return false, nil
}

// exposureTexts returns a report's reference and description within
// Paddle's bounds: the reference is what identifies the leak, so a missing
// one is named after the source.
func exposureTexts(r keygate.ExposureReport) (string, *string) {
	ref := truncate(strings.TrimSpace(r.Reference), keygate.ExposureReferenceMaxLen)
	if ref == "" {
		ref = "unknown location (" + string(r.Source) + ")"
	}
	d := truncate(strings.TrimSpace(r.Description), keygate.ExposureDescriptionMaxLen)
	if d == "" {
		return ref, nil
	}
	return ref, &d
}

// truncate cuts s to at most n characters, on a character boundary, after
// making it valid UTF-8 without NUL (which PostgreSQL's text refuses).
func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// userMailPayload is the body a user e-mail is rendered from: the event as
// a webhook delivers it, without a notification.
func userMailPayload(e *keygate.Event) []byte {
	b, _ := json.Marshal(wire.Webhook{EventID: e.ID, EventType: string(e.Type), OccurredAt: wire.Time(e.OccurredAt), Data: e.Data})
	return b
}

// ListAPIKeyExposures lists the exposures of a key the scope may see; a
// key of another account is CodeNotFound.
func (s *Service) ListAPIKeyExposures(ctx context.Context, sc Scope, f keygate.APIKeyExposureFilter) ([]*keygate.APIKeyExposure, int, error) {
	var list []*keygate.APIKeyExposure
	var total int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		k, err := findAPIKey(ctx, tx, sc, f.APIKeyID)
		if err != nil {
			return err
		}
		f.AccountID = k.AccountID
		list, total, err = tx.FindAPIKeyExposures(ctx, f)
		return err
	})
	return list, total, err
}

// SeeAPIKeyExposures lists every exposure of a key, as ListAPIKeyExposures,
// and marks them seen: the dashboard's "View exposures".
func (s *Service) SeeAPIKeyExposures(ctx context.Context, sc Scope, apiKeyID string) ([]*keygate.APIKeyExposure, error) {
	now := s.now()
	var list []*keygate.APIKeyExposure
	err := s.Store.Update(ctx, func(tx keygate.Tx) error {
		k, err := findAPIKey(ctx, tx, sc, apiKeyID)
		if err != nil {
			return err
		}
		list, _, err = tx.FindAPIKeyExposures(ctx, keygate.APIKeyExposureFilter{AccountID: k.AccountID, APIKeyID: k.ID,
			Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, SkipCount: true}})
		if err != nil {
			return err
		}
		return tx.MarkExposuresSeen(ctx, k.ID, now)
	})
	return list, err
}

// UnseenHighRiskExposures returns how many high-risk exposures of the
// scope's account no user has viewed yet: the dashboard's banner.
func (s *Service) UnseenHighRiskExposures(ctx context.Context, sc Scope) (int, error) {
	var n int
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		var err error
		n, err = tx.CountUnseenExposures(ctx, sc.accountID, keygate.RiskHigh)
		return err
	})
	return n, err
}

// UnseenHighRiskKeys returns the IDs of the scope's keys that have a
// high-risk exposure no user has viewed, newest exposure first, among the
// account's latest exposures: the dashboard's banner links to each.
func (s *Service) UnseenHighRiskKeys(ctx context.Context, sc Scope) ([]string, error) {
	var ids []string
	err := s.Store.View(ctx, func(tx keygate.Tx) error {
		list, _, err := tx.FindAPIKeyExposures(ctx, keygate.APIKeyExposureFilter{AccountID: sc.accountID,
			Page: keygate.Page{Limit: keygate.MaxPageSize, Desc: true, SkipCount: true}})
		seen := map[string]bool{}
		for _, x := range list {
			if x.Risk == keygate.RiskHigh && x.SeenAt == nil && !seen[x.APIKeyID] {
				seen[x.APIKeyID] = true
				ids = append(ids, x.APIKeyID)
			}
		}
		return err
	})
	return ids, err
}
