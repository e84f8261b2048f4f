package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keygate/keygate"
)

// CreatePartner implements keygate.Tx.
func (tx *Tx) CreatePartner(ctx context.Context, p *keygate.Partner) error {
	domains, _ := json.Marshal(p.AllowedDomains) // strings always marshal
	if p.AllowedDomains == nil {
		domains = []byte("[]")
	}
	return tx.exec(ctx, "CreatePartner", "", p.ID, string(p.Environment), p.Name, string(domains), p.KeyID, p.KeyHash, utc(p.CreatedAt))
}

// FindPartnerByID implements keygate.Tx.
func (tx *Tx) FindPartnerByID(ctx context.Context, id string) (*keygate.Partner, error) {
	return findOne(tx, ctx, "FindPartnerByID", id, scanPartner, id)
}

// FindPartnerByKeyID implements keygate.Tx.
func (tx *Tx) FindPartnerByKeyID(ctx context.Context, keyID string) (*keygate.Partner, error) {
	return findOne(tx, ctx, "FindPartnerByKeyID", keyID, scanPartner, keyID)
}

func scanPartner(s scanner) (*keygate.Partner, error) {
	var p keygate.Partner
	var env, domains string
	if err := s.Scan(&p.ID, &env, &p.Name, &domains, &p.KeyID, &p.KeyHash, &p.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(domains), &p.AllowedDomains); err != nil {
		return nil, fmt.Errorf("allowed domains of %s: %w", p.ID, err)
	}
	p.Environment, p.CreatedAt = keygate.Environment(env), utc(p.CreatedAt)
	return &p, nil
}

// LinkUserAPIKey implements keygate.Tx.
func (tx *Tx) LinkUserAPIKey(ctx context.Context, apiKeyID, userID string) error {
	return tx.exec(ctx, "LinkUserAPIKey", "", apiKeyID, userID)
}

// FindUserOfAPIKey implements keygate.Tx.
func (tx *Tx) FindUserOfAPIKey(ctx context.Context, apiKeyID string) (*keygate.User, error) {
	return findOne(tx, ctx, "FindUserOfAPIKey", apiKeyID, scanUser, apiKeyID)
}
