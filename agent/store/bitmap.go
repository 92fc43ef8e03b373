package store

// bitmap is a set of record ids, in chunks of 65,536 ids (8 KiB) made as
// ids arrive: a million dense ids take 128 KiB, and a stray large id costs
// one chunk, not the range below it.
type bitmap struct {
	chunks map[int64]*[1024]uint64
	n      int // distinct ids added
}

func (b *bitmap) add(id int64) (had bool) {
	if b.chunks == nil {
		b.chunks = map[int64]*[1024]uint64{}
	}
	c := b.chunks[id>>16]
	if c == nil {
		c = new([1024]uint64)
		b.chunks[id>>16] = c
	}
	w, m := &c[(id>>6)&1023], uint64(1)<<(id&63)
	had = *w&m != 0
	*w |= m
	if !had {
		b.n++
	}
	return had
}

func (b *bitmap) has(id int64) bool {
	c := b.chunks[id>>16]
	return c != nil && c[(id>>6)&1023]&(uint64(1)<<(id&63)) != 0
}

func (b *bitmap) count() int { return b.n }
