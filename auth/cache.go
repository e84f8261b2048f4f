package auth

import (
	"sync"
	"sync/atomic"
)

// shardCount is the number of independently locked parts of the negative
// cache, so that concurrent misses rarely wait for each other.
const shardCount = 64

// cache maps a credential's ID body to its record, and remembers IDs known
// not to exist until a deadline. Found records live in a sync.Map, whose
// reads take no lock: the hot path is a load. It is bounded: past its size a
// put drops an arbitrary entry, which costs that credential a reload.
type cache struct {
	found    sync.Map // string → *record
	count    atomic.Int64
	max      int64
	shards   [shardCount]shard
	perShard int
}

// shard holds part of the IDs known not to exist.
type shard struct {
	mu       sync.Mutex
	notFound map[string]int64 // ID → Unix nanoseconds until which it is known absent
}

func newCache(maxEntries int) *cache {
	c := &cache{max: int64(max(1, maxEntries)), perShard: max(1, maxEntries/shardCount)}
	for i := range c.shards {
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
	if v, ok := c.found.Load(id); ok {
		return v.(*record), true
	}
	s := c.shardOf(id)
	s.mu.Lock()
	until, ok := s.notFound[id]
	s.mu.Unlock()
	return nil, ok && now < until
}

// put stores rec for id.
func (c *cache) put(id string, rec *record) {
	s := c.shardOf(id)
	s.mu.Lock()
	delete(s.notFound, id)
	s.mu.Unlock()
	if _, loaded := c.found.Swap(id, rec); !loaded && c.count.Add(1) > c.max {
		c.found.Range(func(k, _ any) bool {
			if k.(string) != id {
				c.remove(k.(string))
				return false
			}
			return true
		})
	}
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
		for k := range s.notFound {
			if len(s.notFound) < c.perShard {
				break
			}
			delete(s.notFound, k)
		}
	}
	s.notFound[id] = until
}

// remove forgets id, found or not.
func (c *cache) remove(id string) {
	if _, loaded := c.found.LoadAndDelete(id); loaded {
		c.count.Add(-1)
	}
	s := c.shardOf(id)
	s.mu.Lock()
	delete(s.notFound, id)
	s.mu.Unlock()
}

// clear forgets everything.
func (c *cache) clear() {
	c.found.Range(func(k, _ any) bool {
		c.remove(k.(string))
		return true
	})
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.notFound)
		s.mu.Unlock()
	}
}

// len returns how many credentials are cached as found.
func (c *cache) len() int { return int(c.count.Load()) }
