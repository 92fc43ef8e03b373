package store

import "testing"

func TestBitmap(t *testing.T) {
	var b bitmap
	ids := []int64{0, 1, 63, 64, 1023, 65535, 65536, 65537, 1 << 40, 1<<62 + 5}
	for _, id := range ids {
		if b.has(id) {
			t.Errorf("%d present before it was added", id)
		}
		if b.add(id) {
			t.Errorf("%d: add says it was there", id)
		}
	}
	for _, id := range ids {
		if !b.has(id) || !b.add(id) {
			t.Errorf("%d missing after add", id)
		}
	}
	for _, id := range []int64{2, 62, 65, 65534, 131072, 1<<40 + 1, 1<<40 - 1} {
		if b.has(id) {
			t.Errorf("%d present, never added", id)
		}
	}
	if b.count() != len(ids) {
		t.Errorf("count = %d, want %d", b.count(), len(ids))
	}
	if len(b.chunks) != 4 {
		t.Errorf("%d chunks for ids in 4 ranges of 65,536", len(b.chunks))
	}
}
