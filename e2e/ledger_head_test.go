package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// TestLedgerHeadCatchesARewrite (issue 12 item 6): an insider rewrites a
// receipt together with its ledger record and every hash, so the log is
// consistent in itself; `multa ledger verify --head FILE`, with the
// signed head an auditor kept from GET /api/v1/ledger, catches it.
func TestLedgerHeadCatchesARewrite(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "multa.db")
	s := start(t, db)
	adminPW := s.Admin
	tok := s.login(t, "admin", adminPW)
	rcpt := s.payNotice(t, firstNAV(t, s.issue(t, tok, "AB123CD", "Via Torino 1, Milano")), "")
	id, _ := rcpt["receiptId"].(string)
	head := s.call(t, "GET", "/api/v1/ledger", nil, "Authorization", "Bearer "+tok)
	if head.status != 200 {
		t.Fatalf("GET /ledger: %d %s", head.status, head.body)
	}
	headFile := filepath.Join(dir, "head.json")
	if err := os.WriteFile(headFile, head.body, 0o600); err != nil {
		t.Fatal(err)
	}
	kept := head.json(t)
	// The auditor's way through the API: a consistency proof from the
	// kept head to the current one checks after more payments.
	s.payNotice(t, firstNAV(t, s.issue(t, tok, "CD456EF", "Via Roma 2, Milano")), "")
	if err := checkConsistency(t, s, tok, kept); err != nil {
		t.Errorf("consistency proof of an untouched ledger: %v", err)
	}
	s.stop()
	if code, out := runCLI(t, "", "ledger", "verify", "--db", db, "--head", headFile); code != 0 || !strings.Contains(out, "extends the signed head") {
		t.Fatalf("untouched database against its own head: %d %s", code, out)
	}

	rewrite(t, db, id)
	code, out := runCLI(t, "", "ledger", "verify", "--db", db)
	t.Logf("plain verify of the rewritten file: exit %d: %s", code, strings.TrimSpace(out))
	s = start(t, db)
	if err := checkConsistency(t, s, s.login(t, "admin", adminPW), kept); err == nil {
		t.Errorf("the API proves the rewritten ledger consistent with the kept head")
	} else {
		t.Logf("consistency proof after the rewrite: %v", err)
	}
	s.stop()
	code, out = runCLI(t, "", "ledger", "verify", "--db", db, "--head", headFile)
	if code == 0 || !strings.Contains(out, "FAILED") {
		t.Errorf("the rewritten history passes against the kept head: exit %d, %s", code, out)
	}
	// A forged head (signature broken) is refused, not believed.
	forged := bytes.Replace(head.body, []byte(`"signedHead":"go.sum database tree\n`), []byte(`"signedHead":"go.sum database tree\n1`), 1)
	os.WriteFile(headFile, forged, 0o600)
	if code, out := runCLI(t, "", "ledger", "verify", "--db", db, "--head", headFile); code == 0 || !strings.Contains(out, "signature") {
		t.Errorf("a head with a broken signature: exit %d, %s", code, out)
	}
}

// checkConsistency asks the API for a proof from the kept head (the JSON
// of GET /api/v1/ledger) and checks it with tlog.CheckTree.
func checkConsistency(t *testing.T, s *service, tok string, kept map[string]any) error {
	t.Helper()
	n := int64(kept["size"].(float64))
	a := s.call(t, "GET", "/api/v1/ledger/consistency?from="+strconv.FormatInt(n, 10), nil, "Authorization", "Bearer "+tok)
	if a.status != 200 {
		t.Fatalf("consistency: %d %s", a.status, a.body)
	}
	var p struct {
		Size     int64    `json:"size"`
		RootHash string   `json:"rootHash"`
		Proof    []string `json:"proof"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatal(err)
	}
	hash := func(b64 string) tlog.Hash {
		var h tlog.Hash
		b, _ := base64.StdEncoding.DecodeString(b64)
		copy(h[:], b)
		return h
	}
	proof := make(tlog.TreeProof, len(p.Proof))
	for i, h := range p.Proof {
		proof[i] = hash(h)
	}
	return tlog.CheckTree(proof, p.Size, hash(p.RootHash), n, hash(kept["rootHash"].(string)))
}

// rewrite lowers a receipt's amount to 1 cent, edits its ledger record to
// match and recomputes every stored hash of the log.
func rewrite(t *testing.T, path, receiptID string) {
	t.Helper()
	raw, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	amount := regexp.MustCompile(`"amountCents":\d+`)
	err = raw.Update(func(tx *bolt.Tx) error {
		rb := tx.Bucket([]byte("receipts"))
		v := amount.ReplaceAll(rb.Get([]byte(receiptID)), []byte(`"amountCents":1`))
		if err := rb.Put([]byte(receiptID), v); err != nil {
			return err
		}
		sum := sha256.Sum256(v)
		recs := tx.Bucket([]byte("ledger.records"))
		n := int64(recs.Sequence())
		var data [][]byte
		for i := int64(0); i < n; i++ {
			rec := append([]byte(nil), recs.Get(u64(i))...)
			var ev struct{ Type, ID string }
			json.Unmarshal(rec, &ev)
			if ev.ID == receiptID && strings.Contains(ev.Type, "receipt") {
				rec = amount.ReplaceAll(rec, []byte(`"amountCents":1`))
				rec = regexp.MustCompile(`"sha256":"[0-9a-f]+"`).ReplaceAll(rec, []byte(`"sha256":"`+hex.EncodeToString(sum[:])+`"`))
				if err := recs.Put(u64(i), rec); err != nil {
					return err
				}
			}
			data = append(data, rec)
		}
		hb := tx.Bucket([]byte("ledger.hashes"))
		stored := map[int64]tlog.Hash{}
		reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = stored[x]
			}
			return out, nil
		})
		for i, rec := range data {
			hs, err := tlog.StoredHashes(int64(i), rec, reader)
			if err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, int64(i))
			for k, h := range hs {
				stored[base+int64(k)] = h
				if err := hb.Put(u64(base+int64(k)), h[:]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func u64(n int64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(n))
	return k[:]
}
