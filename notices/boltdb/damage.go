package boltdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// damaged is the one-line error of a database file that fails its check.
func damaged(path, why string) error {
	why = strings.Join(strings.Fields(why), " ") // one line, whatever the panic said
	if len(why) > 300 {
		why = why[:300] + "…"
	}
	return &notices.Error{Code: notices.EDatabaseDamaged, Op: "boltdb.Open",
		Message: fmt.Sprintf("the database file %s is damaged: %s; restore it from a backup", path, why)}
}

// boltMagic is the magic number at the start of each of bbolt's two meta
// pages (after the 16-byte page header), followed by the version and the
// page size.
const boltMagic = 0xED0CDAED

// precheck looks at the file before bbolt maps it: a length that is not
// a whole number of pages would fault on access, and one shorter than the
// two meta pages and a root cannot hold a database. A missing or empty
// file is left to Open (a new database); callers that know the file held
// data refuse those themselves (see ExpectData).
func precheck(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return nil // bolt.Open reports it in its words
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return nil
	}
	var hdr [32]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return damaged(path, fmt.Sprintf("only %d bytes long", fi.Size()))
	}
	if binary.LittleEndian.Uint32(hdr[16:]) != boltMagic {
		return damaged(path, "it does not start with a bbolt meta page")
	}
	pageSize := int64(binary.LittleEndian.Uint32(hdr[24:]))
	if pageSize < 512 || pageSize > 1<<20 || pageSize&(pageSize-1) != 0 {
		return damaged(path, fmt.Sprintf("its page size %d is not plausible", pageSize))
	}
	switch {
	case fi.Size()%pageSize != 0:
		return damaged(path, fmt.Sprintf("its length %d is not a whole number of %d-byte pages (truncated?)", fi.Size(), pageSize))
	case fi.Size() < 4*pageSize:
		return damaged(path, fmt.Sprintf("its length %d is shorter than an empty database", fi.Size()))
	}
	return nil
}

// checkPages reads every bucket, key and value (which makes bbolt visit
// every reachable page in this goroutine, where a panic is recovered),
// then runs bbolt's consistency check for unreachable or doubly freed
// pages.
func checkPages(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		var walk func(b *bolt.Bucket) error
		walk = func(b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					if c := b.Bucket(k); c != nil {
						return walk(c)
					}
				}
				return nil
			})
		}
		if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) }); err != nil {
			return err
		}
		var first error
		for err := range tx.Check() { // drained: the checker runs until it closes the channel
			if first == nil {
				first = err
			}
		}
		return first
	})
}

// ExpectData refuses to treat path as a new database when it is missing
// or empty but files that only a used database has lie beside it
// (keyFiles: the JWT and ledger keys, the PSP state). An empty database
// file there was truncated, and starting over would print a new admin
// password and verify an empty ledger as if nothing had been lost.
func ExpectData(path string, keyFiles ...string) error {
	fi, err := os.Stat(path)
	if err == nil && fi.Size() > 0 {
		return nil
	}
	for _, k := range keyFiles {
		if _, kerr := os.Stat(k); kerr == nil {
			if err != nil {
				return damaged(path, "it is missing, but "+k+" beside it belongs to a database that held data")
			}
			return damaged(path, "it is empty, but "+k+" beside it belongs to a database that held data")
		}
	}
	return nil
}
