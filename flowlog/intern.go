package flowlog

import (
	"bytes"
	"hash/maphash"
)

// internTable gives each distinct string of a batch column a small integer, without allocating per
// lookup: values live in one arena, slots hold value index+1, and reset keeps the memory.
type internTable struct {
	seed    maphash.Seed
	arena   []byte
	offsets []int32 // value i is arena[offsets[i]:offsets[i+1]]
	slots   []int32
	mask    uint64
	last    int32 // index of the value returned last: consecutive rows often repeat one
}

func newInternTable() *internTable {
	t := &internTable{seed: maphash.MakeSeed()}
	t.slots = make([]int32, 256)
	t.mask = 255
	t.reset()
	return t
}

func (t *internTable) reset() {
	t.arena = t.arena[:0]
	t.offsets = append(t.offsets[:0], 0)
	clear(t.slots)
	t.last = -1
}

func (t *internTable) len() int { return len(t.offsets) - 1 }

func (t *internTable) value(i int32) []byte { return t.arena[t.offsets[i]:t.offsets[i+1]] }

// intern returns the index of b, adding it when new.
func (t *internTable) intern(b []byte) int32 {
	if t.last >= 0 && bytes.Equal(t.value(t.last), b) {
		return t.last
	}
	h := maphash.Bytes(t.seed, b)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == 0 {
			idx := int32(t.len())
			t.arena = append(t.arena, b...)
			t.offsets = append(t.offsets, int32(len(t.arena)))
			t.slots[i] = idx + 1
			if uint64(t.len())*2 > t.mask {
				t.grow()
			}
			t.last = idx
			return idx
		}
		if bytes.Equal(t.value(s-1), b) {
			t.last = s - 1
			return s - 1
		}
	}
}

func (t *internTable) grow() {
	t.slots = make([]int32, 2*len(t.slots))
	t.mask = uint64(len(t.slots) - 1)
	for idx := int32(0); idx < int32(t.len()); idx++ {
		h := maphash.Bytes(t.seed, t.value(idx))
		i := h & t.mask
		for t.slots[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = idx + 1
	}
}
