package secretscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// DefaultGitHubKeysURL is where GitHub publishes the keys that sign its
// secret-scanning reports.
const DefaultGitHubKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"

// GitHub's headers on a report.
const (
	HeaderKeyIdentifier = "Github-Public-Key-Identifier"
	HeaderKeySignature  = "Github-Public-Key-Signature"
)

// Errors of Verify. Each means the report must be refused unread.
var (
	ErrUnsigned     = errors.New("the report carries no Github-Public-Key-Identifier and Github-Public-Key-Signature")
	ErrUnknownKey   = errors.New("the report is signed with a key GitHub does not publish")
	ErrBadSignature = errors.New("the report's signature does not match its body")
)

// GitHubKeys holds GitHub's secret-scanning public keys, read from a URL
// or a file (the same JSON), cached, and read again when a report names a
// key not in the cache (at most once per MinRefresh, so that reports with
// made-up identifiers can't make it hammer the source).
type GitHubKeys struct {
	// URL is read when File is "".
	URL  string
	File string
	// Client reads URL; default a client with a 10 s timeout.
	Client *http.Client
	// MinRefresh is the least time between two reads; default 10 s.
	MinRefresh time.Duration

	mu      sync.Mutex
	keys    map[string]*ecdsa.PublicKey
	fetched time.Time
}

// githubKeyList is the JSON GitHub publishes.
type githubKeyList struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// Verify checks that sig (base64 of an ASN.1 ECDSA signature) is the
// signature of body by the P-256 key keyID, with SHA-256.
func (g *GitHubKeys) Verify(ctx context.Context, keyID, sig string, body []byte) error {
	if keyID == "" || sig == "" {
		return ErrUnsigned
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	key, err := g.key(ctx, keyID)
	if err != nil {
		return err
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(key, digest[:], der) {
		return ErrBadSignature
	}
	return nil
}

// key returns the key keyID, reading the keys again if it is unknown.
func (g *GitHubKeys) key(ctx context.Context, keyID string) (*ecdsa.PublicKey, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if k, ok := g.keys[keyID]; ok {
		return k, nil
	}
	minRefresh := g.MinRefresh
	if minRefresh <= 0 {
		minRefresh = 10 * time.Second
	}
	if g.keys != nil && time.Since(g.fetched) < minRefresh {
		return nil, ErrUnknownKey
	}
	keys, err := g.load(ctx)
	g.fetched = time.Now()
	if err != nil {
		return nil, fmt.Errorf("read GitHub's secret-scanning keys: %w", err)
	}
	g.keys = keys
	if k, ok := keys[keyID]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// load reads and parses the key list.
func (g *GitHubKeys) load(ctx context.Context) (map[string]*ecdsa.PublicKey, error) {
	var b []byte
	var err error
	if g.File != "" {
		b, err = os.ReadFile(g.File)
	} else {
		b, err = g.fetch(ctx)
	}
	if err != nil {
		return nil, err
	}
	return ParseGitHubKeys(b)
}

func (g *GitHubKeys) fetch(ctx context.Context) ([]byte, error) {
	url := g.URL
	if url == "" {
		url = DefaultGitHubKeysURL
	}
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// ParseGitHubKeys parses GitHub's key list: {"public_keys":[{"key_identifier",
// "key" (PEM), "is_current"}]}. Every key must be an ECDSA P-256 key.
func ParseGitHubKeys(b []byte) (map[string]*ecdsa.PublicKey, error) {
	var list githubKeyList
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("not GitHub's key list: %w", err)
	}
	keys := map[string]*ecdsa.PublicKey{}
	for _, k := range list.PublicKeys {
		block, _ := pem.Decode([]byte(k.Key))
		if block == nil {
			return nil, fmt.Errorf("key %s: not PEM", k.KeyIdentifier)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", k.KeyIdentifier, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve.Params().Name != "P-256" {
			return nil, fmt.Errorf("key %s: not an ECDSA P-256 key", k.KeyIdentifier)
		}
		keys[k.KeyIdentifier] = ec
	}
	if len(keys) == 0 {
		return nil, errors.New("the key list is empty")
	}
	return keys, nil
}

// GitHubMatch is one token of a report: GitHub's {token, type, url, source}.
type GitHubMatch struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// GitHubFeedback is GitHub's feedback on one token: its SHA-256 (the raw
// token need not travel back), its type, and true_positive or
// false_positive.
type GitHubFeedback struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// The labels of GitHub's feedback.
const (
	LabelTruePositive  = "true_positive"
	LabelFalsePositive = "false_positive"
)

// Feedback returns GitHub's feedback on m.
func Feedback(m GitHubMatch, truePositive bool) GitHubFeedback {
	sum := sha256.Sum256([]byte(m.Token))
	label := LabelFalsePositive
	if truePositive {
		label = LabelTruePositive
	}
	return GitHubFeedback{TokenHash: hex.EncodeToString(sum[:]), TokenType: m.Type, Label: label}
}
