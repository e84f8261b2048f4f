package auth

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/keygate/keygate/credential"
)

// shardCount is the number of independently locked parts of a cache, so
// that concurrent misses and changes rarely wait for each other.
const shardCount = 64

// minBuckets is the size a cache's table starts at.
const minBuckets = 1024

// cache maps a key (a credential's ID body, or another key for legacy keys
// and client-side tokens) to its record, and remembers keys known not to
// exist until a deadline.
//
// Found records live in a hash table of chains that readers walk without a
// lock: a lookup is a hash, an atomic load per step, and a comparison. The
// chains are linked through the records themselves (record.next), so an
// entry costs one pointer beyond its record. Writers lock the shard of the
// bucket; a table that fills is regrown under every shard's lock, and a
// reader that raced with the regrowth may miss a key it would have found,
// which costs only a store read, never a wrong answer. The cache is
// bounded: past its size a put drops an arbitrary entry, which costs that
// credential a reload.
type cache struct {
	table atomic.Pointer[table]
	seed  maphash.Seed
	// idSeed seeds the hash of ID bodies (idHash).
	idSeed [2]uint64
	// byDigest says the keys are legacyCacheKeys: their first eight bytes,
	// part of a SHA-256, are their hash, and findDigest finds them.
	byDigest bool
	count    atomic.Int64
	max      int64
	evict    atomic.Uint64 // where the next eviction looks
	shards   [shardCount]shard
	// perShard bounds each shard's negative entries.
	perShard int
}

// table is a power-of-two array of chain heads.
type table struct {
	buckets []atomic.Pointer[record]
	mask    uint64
}

// shard holds part of the keys known not to exist, and serialises the
// writes of its buckets (those whose index is the shard's modulo
// shardCount).
type shard struct {
	mu       sync.Mutex
	notFound map[string]int64 // key → Unix nanoseconds until which it is known absent
}

func newCache(maxEntries int) *cache {
	c := &cache{max: int64(max(1, maxEntries)), perShard: max(1, maxEntries/shardCount), seed: maphash.MakeSeed()}
	c.idSeed = [2]uint64{maphash.Comparable(c.seed, 1), maphash.Comparable(c.seed, 2)}
	c.table.Store(newTable(minBuckets))
	for i := range c.shards {
		c.shards[i].notFound = map[string]int64{}
	}
	return c
}

func newTable(n int) *table {
	return &table{buckets: make([]atomic.Pointer[record], n), mask: uint64(n - 1)}
}

// newDigestCache returns a cache of legacyCacheKeys.
func newDigestCache(maxEntries int) *cache {
	c := newCache(maxEntries)
	c.byDigest = true
	return c
}

func (c *cache) hash(key string) uint64 {
	if c.byDigest {
		return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(key), 8))
	}
	if len(key) == credential.IDLen {
		return c.idHash(key)
	}
	return maphash.String(c.seed, key)
}

// idHash hashes an ID body (a ULID: 10 characters of time, 16 random) by
// its random part alone, in one 128-bit multiplication of its two halves
// with the cache's seed, where maphash would take several rounds. The
// found table only holds IDs keygate made, so their random parts spread
// them; an ID a request makes up can only be looked up, never stored.
func (c *cache) idHash(key string) uint64 {
	b := unsafe.Slice(unsafe.StringData(key), credential.IDLen)
	hi, lo := bits.Mul64(binary.LittleEndian.Uint64(b[10:])^c.idSeed[0], binary.LittleEndian.Uint64(b[18:])^c.idSeed[1])
	return hi ^ lo
}

// shardOf returns the shard of a hash: its low bits, which are also the low
// bits of its bucket index at any table size.
func (c *cache) shardOf(h uint64) *shard { return &c.shards[h%shardCount] }

// find returns the record of key in the table, or nil.
func (c *cache) find(key string, h uint64) *record {
	t := c.table.Load()
	for r := t.buckets[h&t.mask].Load(); r != nil; r = r.next.Load() {
		if r.key() == key {
			return r
		}
	}
	return nil
}

// findDigest returns the record whose hash is hash, in env, in a cache of
// legacyCacheKeys, or nil. The bucket and the first eight bytes of a
// record's hash are compared as they are (they only say where to look);
// the whole hash is compared in constant time before a record is
// returned, and a record whose first eight bytes alone match is passed
// over (TestDigestPrefixCollision).
func (c *cache) findDigest(env envCode, hash *[sha256.Size]byte) *record {
	h := binary.LittleEndian.Uint64(hash[:8])
	t := c.table.Load()
	for r := t.buckets[h&t.mask].Load(); r != nil; r = r.next.Load() {
		if binary.LittleEndian.Uint64(r.hash[:8]) == h && r.env == env && r.hashMatches(hash) {
			return r
		}
	}
	return nil
}

// get returns the record of key; known is false when the cache does not
// know key either way, and rec is nil (with known true) when key is known
// absent.
func (c *cache) get(key string, now int64) (rec *record, known bool) {
	h := c.hash(key)
	if r := c.find(key, h); r != nil {
		return r, true
	}
	s := c.shardOf(h)
	s.mu.Lock()
	until, ok := s.notFound[key]
	s.mu.Unlock()
	return nil, ok && now < until
}

// put stores rec for key. rec must be new: it becomes a link of a chain.
func (c *cache) put(key string, rec *record) {
	h := c.hash(key)
	rec.setKey(key)
	s := c.shardOf(h)
	s.mu.Lock()
	delete(s.notFound, key)
	t := c.table.Load()
	head := &t.buckets[h&t.mask]
	rec.next.Store(head.Load())
	head.Store(rec) // first the new record, then the old one goes: a reader sees one or the other
	replaced := unlinkAfter(rec, key)
	s.mu.Unlock()
	if replaced {
		return
	}
	if n := c.count.Add(1); n > c.max {
		c.evictOne(key)
	} else if n > int64(len(t.buckets)) && len(t.buckets) < int(c.max) {
		c.grow(t)
	}
}

// unlinkAfter removes the first record of key after first in its chain,
// reporting whether there was one. The caller holds the chain's shard.
func unlinkAfter(first *record, key string) bool {
	for prev := first; ; {
		r := prev.next.Load()
		if r == nil {
			return false
		}
		if r.key() == key {
			prev.next.Store(r.next.Load())
			return true
		}
		prev = r
	}
}

// remove forgets key, found or not.
func (c *cache) remove(key string) {
	h := c.hash(key)
	s := c.shardOf(h)
	s.mu.Lock()
	delete(s.notFound, key)
	removed := c.unlink(c.table.Load(), h, key)
	s.mu.Unlock()
	if removed {
		c.count.Add(-1)
	}
}

// unlink removes key from its chain in t. The caller holds its shard.
func (c *cache) unlink(t *table, h uint64, key string) bool {
	head := &t.buckets[h&t.mask]
	r := head.Load()
	if r == nil {
		return false
	}
	if r.key() == key {
		head.Store(r.next.Load())
		return true
	}
	return unlinkAfter(r, key)
}

// evictOne drops one entry other than keep, from the next non-empty bucket
// after the last eviction.
func (c *cache) evictOne(keep string) {
	t := c.table.Load()
	for range len(t.buckets) {
		i := c.evict.Add(1) & t.mask
		s := &c.shards[i%shardCount]
		s.mu.Lock()
		if c.table.Load() != t {
			s.mu.Unlock()
			return // regrown meanwhile; the next put tries again
		}
		r := t.buckets[i].Load()
		if r != nil && r.key() == keep {
			r = r.next.Load()
		}
		removed := r != nil && c.unlink(t, i, r.key())
		s.mu.Unlock()
		if removed {
			c.count.Add(-1)
			return
		}
	}
}

// grow replaces t by a table four times its size, relinking every record,
// under every shard's lock.
func (c *cache) grow(t *table) {
	c.lockAll()
	defer c.unlockAll()
	if c.table.Load() != t {
		return // another put grew it
	}
	bigger := newTable(min(len(t.buckets)*4, nextPow2(int(c.max))))
	for i := range t.buckets {
		for r := t.buckets[i].Load(); r != nil; {
			next := r.next.Load()
			head := &bigger.buckets[c.hash(r.key())&bigger.mask]
			r.next.Store(head.Load())
			head.Store(r)
			r = next
		}
	}
	c.table.Store(bigger)
}

func (c *cache) lockAll() {
	for i := range c.shards {
		c.shards[i].mu.Lock()
	}
}

func (c *cache) unlockAll() {
	for i := range c.shards {
		c.shards[i].mu.Unlock()
	}
}

func nextPow2(n int) int {
	p := minBuckets
	for p < n {
		p *= 2
	}
	return p
}

// putAbsent records that key does not exist, until until. A full shard
// first drops the entries that expired by now.
func (c *cache) putAbsent(key string, now, until int64) {
	s := c.shardOf(c.hash(key))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.notFound) >= c.perShard {
		for k, deadline := range s.notFound {
			if deadline <= now {
				delete(s.notFound, k)
			}
		}
		for k := range s.notFound {
			if len(s.notFound) < c.perShard {
				break
			}
			delete(s.notFound, k)
		}
	}
	s.notFound[key] = until
}

// clear forgets everything.
func (c *cache) clear() {
	c.lockAll()
	defer c.unlockAll()
	c.table.Store(newTable(minBuckets))
	c.count.Store(0)
	for i := range c.shards {
		clear(c.shards[i].notFound)
	}
}

// len returns how many credentials are cached as found.
func (c *cache) len() int { return int(c.count.Load()) }
