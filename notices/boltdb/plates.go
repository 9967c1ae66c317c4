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
// second per search at a big city's three million fines (issue 16). So
// the store keeps, in memory, every plate it has fines of, one after the
// other in one byte slice: a search is then one bytes.Index pass over a
// few tens of megabytes, and the matching plates are looked up in the
// plate index (each a seek) as before.
//
// The list is built from the plate index at the first search, not at
// open: a store that is never searched pays nothing. After that, every
// transaction that writes a fine appends its plate when it commits
// (tx.OnCommit), so that a fine is found as soon as its write returns. A
// plate whose fines are all gone (a corrected plate) stays in the list;
// its lookup finds no fine, which costs one seek.
type plateList struct {
	mu    sync.RWMutex
	built bool
	buf   []byte // plates, each followed by 0x00 (no plate has one)
}

// note appends plate to the list when tx commits, once the list is built
// (before that, building it reads the plate from the index).
func (l *plateList) note(tx *bolt.Tx, plate string) {
	tx.OnCommit(func() {
		l.mu.Lock()
		if l.built {
			l.buf = append(append(l.buf, plate...), 0)
		}
		l.mu.Unlock()
	})
}

// ensure builds the list from the plate index if it is not built yet. It
// opens its own read transaction, so it must not be called inside one
// (a reader waiting on another can deadlock with bbolt's remapping).
// Writers committing meanwhile wait in note until the list is built, and
// then append their plates: none is missed.
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
	var buf []byte
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktFinePlate).Cursor()
		var last []byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			sep := bytes.IndexByte(k, 0)
			if sep < 0 || bytes.Equal(k[:sep], last) {
				continue
			}
			buf = append(append(buf, k[:sep]...), 0)
			last = buf[len(buf)-1-sep : len(buf)-1]
		}
		return nil
	})
	if err != nil {
		return err
	}
	l.buf, l.built = buf, true
	return nil
}

// matching returns the distinct plates of the list that contain part, in
// byte order. The list must be built (ensure).
func (l *plateList) matching(part string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []string
	p := []byte(part)
	for rest := l.buf; ; {
		i := bytes.Index(rest, p)
		if i < 0 {
			break
		}
		start := bytes.LastIndexByte(rest[:i], 0) + 1
		end := i + bytes.IndexByte(rest[i:], 0)
		out = append(out, string(rest[start:end]))
		rest = rest[end+1:]
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
