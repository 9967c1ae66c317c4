package boltdb

import (
	"bytes"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// A search by part of a plate ("AB1" finds AB123CD and ZAB19KL) cannot
// seek any index: the part may be anywhere in the plate. Walking the
// plate index's keys cost a step of a bbolt cursor per fine, about a
// second per search at a big city's three million fines (issue 16), and
// even a bytes.Index pass over every plate held in memory costs ~20 ms
// there. So the store keeps, in memory, every plate it has fines of and,
// for each three characters (plates are A-Z and 0-9: 36³ trigrams), the
// plates that contain them: a search reads the shortest list among its
// part's trigrams (a few hundred plates for "AB1" among three million),
// keeps the plates that contain the whole part, and looks each one up in
// the plate index (a seek) as before. About 28 bytes of memory per plate.
//
// The list is built from the plate index in the background after open
// (or by the first search, should that build have failed). After that, every
// transaction that writes a fine adds its plate when it commits
// (tx.OnCommit), so that a fine is found as soon as its write returns. A
// plate whose fines are all gone (a corrected plate) stays in the list;
// its lookup finds no fine, which costs one seek.
type plateList struct {
	mu    sync.RWMutex
	built bool
	buf   []byte   // plates, each followed by 0x00 (no plate has one)
	offs  []uint32 // where each plate starts in buf
	grams [][]uint32
	// grams[trigram(a, b, c)] lists, in order, the plates (indexes into
	// offs) that contain abc; a plate with a repeated trigram is listed
	// once per occurrence.
}

// gramCount is the number of trigrams of plate characters.
const gramCount = 36 * 36 * 36

// plateDigit maps a plate character to 0..35, or -1 for anything else.
func plateDigit(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= '0' && c <= '9':
		return 26 + int(c-'0')
	}
	return -1
}

// trigram returns the number of the three characters at p[i:], or -1.
func trigram(p []byte, i int) int {
	a, b, c := plateDigit(p[i]), plateDigit(p[i+1]), plateDigit(p[i+2])
	if a < 0 || b < 0 || c < 0 {
		return -1
	}
	return (a*36+b)*36 + c
}

// add appends plate to the list and its trigrams; l.mu must be held.
func (l *plateList) add(plate []byte) {
	n := uint32(len(l.offs))
	l.offs = append(l.offs, uint32(len(l.buf)))
	l.buf = append(append(l.buf, plate...), 0)
	for i := 0; i+3 <= len(plate); i++ {
		if g := trigram(plate, i); g >= 0 {
			l.grams[g] = append(l.grams[g], n)
		}
	}
}

// plate returns the i-th plate of the list; l.mu must be held.
func (l *plateList) plate(i uint32) []byte {
	start := l.offs[i]
	end := uint32(len(l.buf)) - 1
	if int(i)+1 < len(l.offs) {
		end = l.offs[i+1] - 1
	}
	return l.buf[start:end]
}

// note adds plate to the list when tx commits, once the list is built
// (before that, building it reads the plate from the index).
func (l *plateList) note(tx *bolt.Tx, plate string) {
	tx.OnCommit(func() {
		l.mu.Lock()
		if l.built {
			l.add([]byte(plate))
		}
		l.mu.Unlock()
	})
}

// ensure builds the list from the plate index if it is not built yet. It
// opens its own read transaction, so it must not be called inside one
// (a reader waiting on another can deadlock with bbolt's remapping).
// Writers committing meanwhile wait in note until the list is built, and
// then add their plates: none is missed.
func (l *plateList) ensure(db *bolt.DB) error {
	l.mu.RLock()
	built := l.built
	l.mu.RUnlock()
	if built {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.built {
		return nil
	}
	l.buf, l.offs, l.grams = nil, nil, make([][]uint32, gramCount)
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktFinePlate).Cursor()
		var last []byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			sep := bytes.IndexByte(k, 0)
			if sep < 0 || bytes.Equal(k[:sep], last) {
				continue
			}
			last = append(last[:0], k[:sep]...)
			l.add(last)
		}
		return nil
	})
	if err != nil {
		l.buf, l.offs, l.grams = nil, nil, nil
		return err
	}
	l.built = true
	return nil
}

// matching returns the distinct plates of the list that contain part, in
// byte order. The list must be built (ensure).
func (l *plateList) matching(part string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	p := []byte(part)
	var out []string
	keep := func(i uint32) {
		if pl := l.plate(i); bytes.Contains(pl, p) {
			out = append(out, string(pl))
		}
	}
	best := -1
	for i := 0; i+3 <= len(p); i++ {
		g := trigram(p, i)
		if g < 0 {
			return nil // a character no plate has: nothing matches
		}
		if best < 0 || len(l.grams[g]) < len(l.grams[best]) {
			best = g
		}
	}
	if best >= 0 {
		for _, i := range l.grams[best] {
			keep(i)
		}
	} else { // shorter than a trigram: every plate
		for i := range l.offs {
			keep(uint32(i))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// platePartScan lists, newest first, the fines whose plate contains part:
// the plates come from the store's plate list, and each one's fines from
// its keys in the plate index (plate ‖ 0 ‖ time ‖ id), so that no fine is
// read until its plate matches; the matches in bounds (inside) are sorted
// by time and id, newest first, and handed to consider until it says
// done. plates must have been built (plateList.ensure) before tx began.
func (s *Store) platePartScan(tx *bolt.Tx, part string, inside func(rest []byte) bool, consider func(rest []byte) (bool, error)) error {
	c := tx.Bucket(bktFinePlate).Cursor()
	var hits [][]byte
	for _, plate := range s.plates.matching(part) {
		prefix := platePrefix(plate)
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if rest := k[len(prefix):]; len(rest) >= 9 && inside(rest) {
				hits = append(hits, bytes.Clone(rest))
			}
		}
	}
	slices.SortFunc(hits, func(a, b []byte) int { return bytes.Compare(b, a) })
	for _, rest := range hits {
		if done, err := consider(rest); done || err != nil {
			return err
		}
	}
	return nil
}
