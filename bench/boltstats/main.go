// Command boltstats shows where the bytes of a bbolt file go: per bucket,
// its keys, leaf and branch pages, how full its leaf pages are and its
// bytes per fine, then the pages no bucket uses (free pages, which the
// file keeps once it has grown). It opens the file read-only, so it can
// run beside a stopped server's database or a copy:
//
//	go run ./bench -only import -fines 200000 -keep   # prints the kept directory
//	go run ./bench/boltstats /tmp/multa-bench-*/multa.db
package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: boltstats FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "boltstats:", err)
		os.Exit(1)
	}
}

type bucketStats struct {
	name string
	s    bolt.BucketStats
}

func run(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []bucketStats
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			rows = append(rows, bucketStats{string(name), b.Stats()})
			return nil
		})
	}); err != nil {
		return err
	}
	fines := 1
	for _, r := range rows {
		if r.name == "fines" && r.s.KeyN > 0 {
			fines = r.s.KeyN
		}
	}
	alloc := func(s bolt.BucketStats) int { return s.BranchAlloc + s.LeafAlloc }
	slices.SortFunc(rows, func(a, b bucketStats) int { return alloc(b.s) - alloc(a.s) })
	page := db.Info().PageSize
	fmt.Printf("%s: %d bytes, %d fines, %d-byte pages\n\n", path, fi.Size(), fines, page)
	fmt.Println("| Bucket | Keys | Leaf pages | Branch pages | Leaf fill | Bytes | B/fine |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	used := 0
	for _, r := range rows {
		if alloc(r.s) == 0 {
			continue
		}
		used += alloc(r.s)
		fmt.Printf("| %s | %d | %d | %d | %.1f%% | %d | %.1f |\n", r.name, r.s.KeyN, r.s.LeafPageN+r.s.LeafOverflowN,
			r.s.BranchPageN+r.s.BranchOverflowN, 100*float64(r.s.LeafInuse)/float64(max(r.s.LeafAlloc, 1)), alloc(r.s), float64(alloc(r.s))/float64(fines))
	}
	other := int(fi.Size()) - used
	fmt.Printf("| (free, meta, freelist, growth) | | %d pages | | | %d | %.1f |\n", other/page, other, float64(other)/float64(fines))
	fmt.Printf("| **file** | | | | | %d | %.1f |\n", fi.Size(), float64(fi.Size())/float64(fines))
	return nil
}
