package aggregate

import (
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// Strings gives every string value of a group key an id (from 1) that means the same in every worker,
// so that key parts compare and merge as integers. Workers look up a batch's dictionary once per
// batch, under one lock, never per row.
type Strings struct {
	mu   sync.Mutex
	ids  map[string]uint64
	vals []string // vals[id-1]
	size int64    // bytes held, for the memory budget
	// budget, when set, is charged with the bytes of new values: the keys of millions of long
	// strings are memory as the tables are.
	budget *Budget
}

// NewStrings returns an empty table.
func NewStrings() *Strings { return &Strings{ids: make(map[string]uint64)} }

// Value returns the string of id (id > 0).
func (s *Strings) Value(id uint64) string {
	s.mu.Lock()
	v := s.vals[id-1]
	s.mu.Unlock()
	return v
}

// ID returns the id of v, adding it when new.
func (s *Strings) ID(v string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id(v)
}

func (s *Strings) id(v string) uint64 {
	if id, ok := s.ids[v]; ok {
		return id
	}
	s.vals = append(s.vals, v)
	id := uint64(len(s.vals))
	s.ids[v] = id
	s.size += int64(len(v)) + 64
	return id
}

// remap fills out[i] with the id of dictionary value i. It fails when the new values cross the
// memory budget (they are held all the same; the run stops).
func (s *Strings) remap(dict *array.String, out []uint64) ([]uint64, error) {
	n := dict.Len()
	out = out[:0]
	s.mu.Lock()
	before := s.size
	for i := 0; i < n; i++ {
		if dict.IsNull(i) {
			out = append(out, 0)
			continue
		}
		// Value views the dictionary's memory: only a new value is copied.
		v := dict.Value(i)
		if id, ok := s.ids[v]; ok {
			out = append(out, id)
			continue
		}
		out = append(out, s.id(strings.Clone(v)))
	}
	added, count := s.size-before, len(s.vals)
	s.mu.Unlock()
	if added > 0 && s.budget != nil {
		if err := s.budget.reserve(added, "string key values", count); err != nil {
			s.mu.Lock()
			s.size -= added // refused, so not charged: release gives back only what was
			s.mu.Unlock()
			return out, err
		}
	}
	return out, nil
}

// release gives the values' bytes back to the budget, for a run that failed: its result, which
// the values serve, will not be read.
func (s *Strings) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.budget != nil {
		s.budget.reserve(-s.size, "", 0)
	}
	s.size = 0
}
