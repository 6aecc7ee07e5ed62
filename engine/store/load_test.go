package store

import "testing"

// TestByID: entity ids read back the same whether held densely or, when
// most ids were deleted, sparsely; ids never set read as zero.
func TestByID(t *testing.T) {
	for _, b := range []*byID[string]{newByID[string](3, 10), newByID[string](3, 1<<20)} {
		for _, id := range []int64{1, 7, 10} {
			b.set(id, string(rune('a'+id)))
		}
		for _, id := range []int64{0, 1, 2, 7, 10, 11, -1} {
			want := ""
			if id == 1 || id == 7 || id == 10 {
				want = string(rune('a' + id))
			}
			if got := b.get(id); got != want {
				t.Errorf("dense %v: get(%d) = %q, want %q", b.dense != nil, id, got, want)
			}
		}
	}
	if newByID[int](3, 10).dense == nil || newByID[int](3, 1<<20).sparse == nil {
		t.Error("dense ids are held in a map, or sparse ones in a slice")
	}
}
