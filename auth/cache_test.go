package auth

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
)

// TestCacheConcurrent puts, replaces and removes keys while readers look
// them up, across several regrowths of the table: a reader finds either
// nothing or a record of the key it asked for, and at the end the cache
// holds exactly the keys put and not removed.
func TestCacheConcurrent(t *testing.T) {
	const keys = 20_000
	c := newCache(1 << 20)
	var stop atomic.Bool
	var readers sync.WaitGroup
	for g := range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for i := g; !stop.Load(); i = (i + 7) % keys {
				key := fmt.Sprint("k", i)
				if r, known := c.get(key, 0); known && r != nil && r.credentialID != key {
					t.Errorf("asked %s, found %s", key, r.credentialID)
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for w := range 2 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := w; i < keys; i += 2 {
				key := fmt.Sprint("k", i)
				c.put(key, &record{credentialID: key})
				if i%10 == 0 {
					c.put(key, &record{credentialID: key}) // a replacement
				}
				if i%3 == 0 {
					c.remove(key)
				}
			}
		}()
	}
	writers.Wait()
	stop.Store(true)
	readers.Wait()
	want := 0
	for i := range keys {
		r, known := c.get(fmt.Sprint("k", i), 0)
		if i%3 == 0 {
			require.False(t, known, "k%d was removed", i)
			continue
		}
		want++
		require.True(t, known && r != nil, "k%d was put", i)
	}
	require.Equal(t, want, c.len())
	require.Greater(t, len(c.table.Load().buckets), minBuckets, "the table grew")
}

// TestCacheBound checks that a full cache drops entries to stay within its
// size, never the one just put.
func TestCacheBound(t *testing.T) {
	c := newCache(100)
	for i := range 1000 {
		key := fmt.Sprint("k", i)
		c.put(key, &record{credentialID: key})
		_, known := c.get(key, 0)
		require.True(t, known)
		require.LessOrEqual(t, c.len(), 100)
	}
	c.clear()
	require.Zero(t, c.len())
	_, known := c.get("k999", 0)
	require.False(t, known)
}

// TestRecordSize keeps the record of a cached key within its size class:
// with its ID string and its bucket, a cached key must stay under 300
// bytes (bench/scale measures the whole).
func TestRecordSize(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(record{}), uintptr(144))
}

// TestIDHashSpreads checks that IDs made in a burst (one millisecond's
// ULIDs differ only in their last characters) spread over the table's
// buckets: the longest chain stays short.
func TestIDHashSpreads(t *testing.T) {
	const n = 1 << 16
	c := newCache(n)
	now := time.Now()
	chains := make([]int, n)
	longest := 0
	for range n {
		id := credential.IDBody(credential.NewID("apikey", now))
		i := c.hash(id) & (n - 1)
		chains[i]++
		longest = max(longest, chains[i])
	}
	// With a uniform hash, the longest of 65,536 chains of one key on
	// average is about 8; 16 or more has odds below one in a billion.
	require.Less(t, longest, 16)
}
