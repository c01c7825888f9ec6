package kernel

import (
	"sort"
	"strings"
	"sync"
)

// Tunables holds the values a process's guest wrote to /proc/sys files and
// to its own tunable /proc files (oom_score_adj), keyed by path; files not
// written read their defaults (procfs). A child inherits its parent's at
// fork. Writes are not shared with processes that already exist.
type Tunables struct {
	mu   sync.Mutex
	vals map[string]string
}

// Get returns the value stored for key, or def.
func (s *Tunables) Get(key, def string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vals[key]; ok {
		return v
	}
	return def
}

// Set stores a value for key.
func (s *Tunables) Set(key, val string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vals == nil {
		s.vals = map[string]string{}
	}
	s.vals[key] = val
}

// Save lists the stored values as "key=value" (for a checkpoint).
func (s *Tunables) Save() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.vals))
	for k, v := range s.vals {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Load replaces the stored values with what Save listed.
func (s *Tunables) Load(kv []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals = map[string]string{}
	for _, e := range kv {
		k, v, _ := strings.Cut(e, "=")
		s.vals[k] = v
	}
}
