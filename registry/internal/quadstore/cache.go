package quadstore

import "sync"

// cache is a bounded map that keeps roughly the most recently used
// entries: two generations, the older one dropped when the newer fills up.
type cache[K comparable, V any] struct {
	mu       sync.Mutex
	half     int
	cur, old map[K]V
}

func newCache[K comparable, V any](size int) *cache[K, V] {
	half := max(size/2, 1)
	return &cache[K, V]{half: half, cur: make(map[K]V, half)}
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.old[k]
	if ok {
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *cache[K, V]) put(k K, v V) {
	c.mu.Lock()
	c.putLocked(k, v)
	c.mu.Unlock()
}

func (c *cache[K, V]) putLocked(k K, v V) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, make(map[K]V, c.half)
	}
	c.cur[k] = v
}

func (c *cache[K, V]) del(k K) {
	c.mu.Lock()
	delete(c.cur, k)
	delete(c.old, k)
	c.mu.Unlock()
}
