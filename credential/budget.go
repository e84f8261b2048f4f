package credential

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
)

// PasswordHashMemory is the memory one password hash or check takes, in
// bytes (argon2id's m parameter).
const PasswordHashMemory = argonMemory * 1024

// DefaultHashBudget is the memory password hashing may take at once by
// default: four hashes in flight.
const DefaultHashBudget = 256 << 20

// DefaultHashWait is how long a sign-in waits for a turn to hash by
// default before it is told to try again.
const DefaultHashWait = 2 * time.Second

// ErrHashBusy means the password-hashing budget stayed full for the whole
// wait: too many sign-ins at once.
var ErrHashBusy = errors.New("credential: too many password hashes at once")

// HashBudget bounds how many argon2id computations run at once, so that a
// flood of sign-ins cannot take the process's memory: each takes
// PasswordHashMemory. The zero of a nil *HashBudget is no bound.
type HashBudget struct {
	slots chan struct{}
	wait  time.Duration
}

// NewHashBudget returns a budget of memory bytes (at least one hash runs),
// where a caller waits at most wait for a turn.
func NewHashBudget(memory int64, wait time.Duration) *HashBudget {
	n := max(int(memory/PasswordHashMemory), 1)
	return &HashBudget{slots: make(chan struct{}, n), wait: wait}
}

// Slots returns how many hashes may run at once.
func (b *HashBudget) Slots() int { return cap(b.slots) }

// Do runs fn, which hashes, when the budget has room: ErrHashBusy if none
// came within the wait, or ctx's error if ctx ended first.
func (b *HashBudget) Do(ctx context.Context, fn func()) error {
	if b == nil {
		fn()
		return nil
	}
	select {
	case b.slots <- struct{}{}:
	default:
		t := time.NewTimer(b.wait)
		defer t.Stop()
		select {
		case b.slots <- struct{}{}:
		case <-t.C:
			return ErrHashBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// Collect this hash's memory before the next hash takes the turn:
	// otherwise finished hashes stay on the heap until the collector's
	// pacing runs it (the heap may double between cycles), and the process
	// holds several times the budget. A collection costs little here: the
	// live hashes' blocks hold no pointers to scan.
	defer func() {
		runtime.GC()
		<-b.slots
	}()
	fn()
	return nil
}

// hashes counts the argon2id computations of this process.
var hashes atomic.Int64

// PasswordHashes returns how many password hashes and checks this process
// has computed.
func PasswordHashes() int64 { return hashes.Load() }

// idKey is argon2.IDKey, counted.
func idKey(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	hashes.Add(1)
	return argon2.IDKey(password, salt, time, memory, threads, keyLen)
}

// decoy is made on first use.
var decoy = sync.OnceValue(func() string {
	salt, key := make([]byte, argonSaltLen), make([]byte, argonKeyLen)
	rand.Read(salt)
	rand.Read(key)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
})

// DecoyPasswordHash returns a hash with the parameters of HashPassword that
// no password matches, to check against when no user has an e-mail address,
// so that the answer takes as long as for a user who exists. It is random
// bytes, not a hash: making it costs nothing, at init or ever.
func DecoyPasswordHash() string { return decoy() }
