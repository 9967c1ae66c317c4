package server_test

import (
	"encoding/base64"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/server"
)

// TestReceiptProofVerifiesOffline checks a receipt's inclusion proof the
// way an auditor would: with the tlog package and the published key only.
func TestReceiptProofVerifiesOffline(t *testing.T) {
	skey, vkey, err := note.GenerateKey(nil, "multa-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) {
		c.LedgerSigner, c.LedgerVerifierKey = signer, vkey
	})
	fine := issueNightSpeeding(e, e.login("officer"))
	r := pay(e, navs(fine)["reduced"], 16147, e.cardToken("4242424242424242"), "proof-key-1")
	if r.status != 201 {
		t.Fatalf("pay: %d %s", r.status, r.body)
	}
	id := r.json(t)["receiptId"].(string)
	issueNightSpeeding(e, e.login("officer")) // the log grows after the receipt

	p := e.do("GET", "/api/v1/receipts/"+id+"/proof", nil).json(t)
	record, _ := base64.StdEncoding.DecodeString(p["record"].(string))
	rootRaw, _ := base64.StdEncoding.DecodeString(p["rootHash"].(string))
	var root tlog.Hash
	copy(root[:], rootRaw)
	var proof tlog.RecordProof
	for _, h := range p["proof"].([]any) {
		raw, _ := base64.StdEncoding.DecodeString(h.(string))
		var hh tlog.Hash
		copy(hh[:], raw)
		proof = append(proof, hh)
	}
	index, size := int64(p["index"].(float64)), int64(p["treeSize"].(float64))
	if err := tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(record)); err != nil {
		t.Fatalf("inclusion proof does not verify: %v", err)
	}
	// The head is signed by the published key and names the same tree.
	verifier, err := note.NewVerifier(p["verifierKey"].(string))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(p["signedHead"].(string)), note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("signed head does not verify: %v", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil || tree.N != size || tree.Hash != root {
		t.Errorf("signed tree %v (%v), proof tree %d %x", tree, err, size, root)
	}
	// A tampered record fails: the check can fail.
	record[len(record)/2] ^= 1
	if tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(record)) == nil {
		t.Error("a changed record still verifies")
	}
	head := e.do("GET", "/api/v1/ledger", nil, "Authorization", e.login("money")).json(t)
	if head["size"].(float64) < float64(size) || head["signedHead"] == "" {
		t.Errorf("ledger head = %v", head)
	}
}
