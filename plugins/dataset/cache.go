package dataset

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// Cache loads each distinct dataset once per process and shares it among
// the trials that ask for it, so that concurrent trials on the same data
// hold one copy. The key is the spec with its defaults filled in plus, for a
// CSV, the file's size and modification time: a file changed between trials
// is loaded afresh, and the stale copy is dropped. The zero Cache is ready
// to use and safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	path  string        // the CSV's path; "" for the synthetic dataset
	stamp string        // the CSV's size and modification time when loaded
	ready chan struct{} // closed when the load ends
	data  *Dataset
	err   error
}

// Get returns the dataset spec describes, loading it if no earlier call
// loaded it. Concurrent calls for the same data wait for one load. A failed
// load is not cached: the next call tries again. Cancelling ctx abandons the
// wait (the load goes on for the other callers) or, for the caller that
// loads, the load.
func (c *Cache) Get(ctx context.Context, spec Spec) (*Dataset, error) {
	spec = spec.Defaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	key, stamp, err := cacheKey(spec)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]*cacheEntry)
	}
	e, ok := c.entries[key]
	if !ok {
		// A new stamp for the same file makes older copies stale; copies
		// of the unchanged file under another split or seed stay.
		for k, old := range c.entries {
			if old.path == spec.Path && old.stamp != stamp {
				delete(c.entries, k)
			}
		}
		e = &cacheEntry{path: spec.Path, stamp: stamp, ready: make(chan struct{})}
		c.entries[key] = e
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-e.ready:
			if e.err != nil {
				return c.Get(ctx, spec)
			}
			return e.data, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e.data, e.err = Load(ctx, spec)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	close(e.ready)
	return e.data, e.err
}

// cacheKey identifies the data a spec (with defaults) loads: the whole
// spec, as JSON, so that every field (a new one included) tells data apart.
// For a data file read directly, stamp is its size and modification time,
// part of the key; a prepared file (Spec.File) is named by its content, and
// the data file it came from need not be there.
func cacheKey(s Spec) (key, stamp string, err error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", "", err
	}
	if s.Path == "" || s.File != "" {
		return string(b), "", nil
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return "", "", fmt.Errorf("data.path: %w", err)
	}
	stamp = fmt.Sprintf("size=%d mtime=%d", fi.Size(), fi.ModTime().UnixNano())
	return string(b) + " " + stamp, stamp, nil
}
