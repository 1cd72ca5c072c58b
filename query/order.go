package query

import (
	"container/heap"
	"sort"
	"strings"

	"github.com/flowlens/flowlens/query/sql"
)

// sortRows orders the rows sel by the ORDER BY keys (nulls last, as Trino), then by every output
// column, so that the order never depends on the input's, and keeps the first limit (all when
// limit < 0). A small limit takes a heap of the best rows seen, not a sort of them all.
func sortRows(sel []int32, keys []*vec, items []sql.OrderItem, cols []*vec, limit int64) []int32 {
	less := func(ra, rb int32) bool {
		a, b := int(ra), int(rb)
		for i, k := range keys {
			if c := cmpOrder(k, items[i].Desc, a, b); c != 0 {
				return c < 0
			}
		}
		for _, k := range cols {
			if c := cmpVec(k, a, b); c != 0 {
				return c < 0
			}
		}
		return ra < rb
	}
	if limit >= 0 && limit < int64(len(sel))/4 {
		h := &rowHeap{less: less}
		for _, r := range sel {
			if int64(len(h.rows)) < limit {
				heap.Push(h, r)
			} else if limit > 0 && less(r, h.rows[0]) {
				h.rows[0] = r
				heap.Fix(h, 0)
			}
		}
		sel = h.rows
	}
	sort.Slice(sel, func(i, j int) bool { return less(sel[i], sel[j]) })
	if limit >= 0 && int64(len(sel)) > limit {
		sel = sel[:limit]
	}
	return sel
}

// rowHeap keeps the best rows seen so far, the worst on top.
type rowHeap struct {
	rows []int32
	less func(a, b int32) bool
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return h.less(h.rows[j], h.rows[i]) }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(int32)) }
func (h *rowHeap) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}

// cmpOrder compares rows a and b by one ORDER BY key: negative when a comes first. Nulls come last
// whether the order is ascending or descending, as in Trino.
func cmpOrder(k *vec, desc bool, a, b int) int { return cmpOrderVecs(k, a, k, b, desc) }

// cmpOrderVecs is cmpOrder for element a of x and element b of y (two vectors of one type): the
// merge of sorted runs compares rows held in different row sets.
func cmpOrderVecs(x *vec, a int, y *vec, b int, desc bool) int {
	c := cmpVecs(x, a, y, b)
	if c == 0 || x.isNull(a) != y.isNull(b) || !desc {
		return c
	}
	return -c
}

// cmpVec compares elements a and b of v; null sorts after every value.
func cmpVec(v *vec, a, b int) int { return cmpVecs(v, a, v, b) }

// cmpVecs compares element a of x with element b of y (two vectors of one type); null sorts after
// every value.
func cmpVecs(x *vec, a int, y *vec, b int) int {
	na, nb := x.isNull(a), y.isNull(b)
	switch {
	case na && nb:
		return 0
	case na:
		return 1
	case nb:
		return -1
	}
	switch x.t {
	case tFloat:
		return cmpF(x.f[a], y.f[b])
	case tStr:
		return strings.Compare(x.s[a], y.s[b])
	case tAddr:
		return x.a[a].Compare(y.a[b])
	}
	switch {
	case x.i[a] < y.i[b]:
		return -1
	case x.i[a] > y.i[b]:
		return 1
	}
	return 0
}
