package credential

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// IDLen is the length of the body of every entity ID: a ULID in lower-case
// Crockford base32.
const IDLen = 26

var (
	idMu sync.Mutex
	// entropy is monotonic: within one millisecond it increments.
	entropy = ulid.Monotonic(rand.Reader, 0)
	// lastMS is the time part of the last ID made.
	lastMS uint64
)

// NewID returns a new entity ID: prefix, an underscore, and a lower-case
// ULID whose time part is t. IDs therefore sort by creation time, as Paddle
// IDs do. prefix is the entity's prefix without the underscore ("apikey").
//
// The IDs one process makes strictly increase, in the order they are made:
// a t earlier than the last ID's time (a clock set back, or callers with
// clocks of their own) takes the last ID's time instead, and IDs of one
// millisecond increment. So the events of one transaction list in the order
// they were written.
func NewID(prefix string, t time.Time) string {
	idMu.Lock()
	ms := max(ulid.Timestamp(t), lastMS)
	id, err := ulid.New(ms, entropy)
	lastMS = ms
	idMu.Unlock()
	if err != nil {
		// Only possible with a time before 1970 or after 10889, or when the
		// monotonic entropy of one millisecond overflows (2^80 IDs).
		panic("credential: cannot make an ID: " + err.Error())
	}
	return prefix + "_" + strings.ToLower(id.String())
}

// ValidID reports whether s is an entity ID with the given prefix:
// prefix + "_" + 26 characters of [0-9a-z].
func ValidID(prefix, s string) bool {
	return len(s) == len(prefix)+1+IDLen &&
		s[:len(prefix)] == prefix && s[len(prefix)] == '_' &&
		isLowerAlnum(s[len(prefix)+1:])
}

// IDBody returns the 26-character body of an entity ID, or "" when id has no
// underscore.
func IDBody(id string) string {
	i := strings.LastIndexByte(id, '_')
	if i < 0 {
		return ""
	}
	return id[i+1:]
}
