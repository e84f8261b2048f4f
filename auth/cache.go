package auth

import (
	"sync"
)

// shardCount is the number of independently locked parts of the cache, so
// that concurrent requests rarely wait for each other.
const shardCount = 64

// cache maps a credential's ID body to its record (nil: known not to exist,
// until the entry's deadline). It is bounded: a full shard drops an
// arbitrary entry to make room, which costs that credential a reload.
type cache struct {
	shards   [shardCount]shard
	perShard int
}

type shard struct {
	mu       sync.RWMutex
	found    map[string]*record
	notFound map[string]int64 // ID → Unix nanoseconds until which it is known absent
}

func newCache(maxEntries int) *cache {
	c := &cache{perShard: max(1, maxEntries/shardCount)}
	for i := range c.shards {
		c.shards[i].found = map[string]*record{}
		c.shards[i].notFound = map[string]int64{}
	}
	return c
}

// shardOf picks the shard of an ID body from its last two characters, which
// are random in a ULID.
func (c *cache) shardOf(id string) *shard {
	if len(id) < 2 {
		return &c.shards[0]
	}
	return &c.shards[(int(id[len(id)-1])*31+int(id[len(id)-2]))%shardCount]
}

// get returns the record of id; known is false when the cache does not know
// id either way, and rec is nil (with known true) when id is known absent.
func (c *cache) get(id string, now int64) (rec *record, known bool) {
	s := c.shardOf(id)
	s.mu.RLock()
	rec, ok := s.found[id]
	if !ok {
		var until int64
		until, ok = s.notFound[id]
		ok = ok && now < until
	}
	s.mu.RUnlock()
	return rec, ok
}

// put stores rec for id.
func (c *cache) put(id string, rec *record) {
	s := c.shardOf(id)
	s.mu.Lock()
	delete(s.notFound, id)
	evictOne(s.found, c.perShard)
	s.found[id] = rec
	s.mu.Unlock()
}

// putAbsent records that id does not exist, until until. A full shard first
// drops the entries that expired by now.
func (c *cache) putAbsent(id string, now, until int64) {
	s := c.shardOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.notFound) >= c.perShard {
		for k, deadline := range s.notFound {
			if deadline <= now {
				delete(s.notFound, k)
			}
		}
		evictOne(s.notFound, c.perShard)
	}
	s.notFound[id] = until
}

// evictOne deletes an arbitrary entry of m if it holds limit or more.
func evictOne[V any](m map[string]V, limit int) {
	if len(m) < limit {
		return
	}
	for k := range m {
		delete(m, k)
		return
	}
}

// remove forgets id, found or not.
func (c *cache) remove(id string) {
	s := c.shardOf(id)
	s.mu.Lock()
	delete(s.found, id)
	delete(s.notFound, id)
	s.mu.Unlock()
}

// clear forgets everything.
func (c *cache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.found)
		clear(s.notFound)
		s.mu.Unlock()
	}
}

// len returns how many credentials are cached as found.
func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.found)
		s.mu.RUnlock()
	}
	return n
}
