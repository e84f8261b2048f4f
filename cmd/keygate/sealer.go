package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keygate/keygate/credential"
)

// keyFileName is the sealing key's file in the data directory, made on
// first start when KEYGATE_ENCRYPTION_KEY is not set.
const keyFileName = "encryption.key"

// decodeKey reads a base64 sealing key.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(key) != credential.SealKeyLen {
		return nil, fmt.Errorf("must be %d bytes in base64 (make one with: openssl rand -base64 32)", credential.SealKeyLen)
	}
	return key, nil
}

// loadSealer returns the Sealer of KEYGATE_ENCRYPTION_KEY, or of the key file
// in the data directory, which it makes (mode 0600) if there is none. Nodes
// that share a PostgreSQL database must share the key: set the variable.
func loadSealer(c *Config) (*credential.Sealer, bool, error) {
	if c.EncryptionKey != "" {
		key, err := decodeKey(c.EncryptionKey)
		if err != nil {
			return nil, false, err
		}
		s, err := credential.NewSealer(key)
		return s, false, err
	}
	path := filepath.Join(c.DataDir, keyFileName)
	b, err := os.ReadFile(path)
	made := false
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, false, err
		}
		b = []byte(base64.StdEncoding.EncodeToString(credential.NewSealKey()) + "\n")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return loadSealer(c) // another process made it first
		} else if err != nil {
			return nil, false, fmt.Errorf("make %s: %w", path, err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, false, fmt.Errorf("write %s: %w", path, err)
		}
		made = true
	} else if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	key, err := decodeKey(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	s, err := credential.NewSealer(key)
	return s, made, err
}
