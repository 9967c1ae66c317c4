package boltdb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// TestVerifyLedgerCatchesAlteredPhotos: an evidence image swapped or
// deleted on disk is named by VerifyLedger, since its fine's ledger entry
// holds the image's SHA-256.
func TestVerifyLedgerCatchesAlteredPhotos(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(b *bolt.Bucket, key []byte) error
		want string
	}{
		"swapped": {func(b *bolt.Bucket, k []byte) error { return b.Put(k, []byte("another picture")) }, "photo 1 altered"},
		"deleted": {func(b *bolt.Bucket, k []byte) error { return b.Delete(k) }, "lists 1 photos, 0 are stored"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
			if _, err := e.st.SavePhotos(context.Background(), f.ID, []notices.NewPhoto{{JPEG: bytes.Repeat([]byte{1}, 64), Width: 8, Height: 8, Source: notices.PhotoByOfficer}}, nil); err != nil {
				t.Fatal(err)
			}
			if err := e.st.VerifyLedger(context.Background()); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			key := binary.BigEndian.AppendUint32(append([]byte(f.ID), 0), 1)
			e.tamper(func(tx *bolt.Tx) error { return c.edit(tx.Bucket([]byte("photos")), key) })
			err := e.st.VerifyLedger(context.Background())
			if notices.ErrorCode(err) != notices.ELedgerMismatch || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), f.ID) {
				t.Fatalf("VerifyLedger = %v, want ledger_mismatch naming fine %s: %s", err, f.ID, c.want)
			}
		})
	}
}
