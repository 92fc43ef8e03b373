// Package registry is the one registry shape the agent's plug-ins share:
// vendors and destination types register themselves by name from init,
// and the core finds them by name without importing them.
package registry

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Registry maps names to entries of one kind; what names the kind in
// panics ("vendors", "destinations"). The zero value is not usable: use New.
type Registry[T any] struct {
	what    string
	mu      sync.RWMutex
	entries map[string]T
}

// New returns an empty registry of what.
func New[T any](what string) *Registry[T] {
	return &Registry[T]{what: what, entries: map[string]T{}}
}

// Add registers e under name. A second registration of a name, or an
// entry that valid refuses, panics: both are programming errors found at
// start-up.
func (r *Registry[T]) Add(name string, e T, valid func(T) string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.entries[name]; dup {
		panic(fmt.Sprintf("%s: %q registered twice", r.what, name))
	}
	if valid != nil {
		if msg := valid(e); msg != "" {
			panic(fmt.Sprintf("%s: %q registered %s", r.what, name, msg))
		}
	}
	r.entries[name] = e
}

// Get returns the entry registered under name.
func (r *Registry[T]) Get(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.entries[name]
	return e, ok
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.entries))
}
