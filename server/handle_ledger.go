package server

import (
	"encoding/base64"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
)

// signedHead formats and signs the current tree head in the note format of
// Go's checksum database, so auditors can use the same tools.
func (s *Server) signedHead(c *fiber.Ctx) (tlog.Tree, string, error) {
	h, err := s.cfg.Store.LedgerHead(c.UserContext())
	if err != nil {
		return tlog.Tree{}, "", err
	}
	tree := tlog.Tree{N: h.Size, Hash: tlog.Hash(h.Root)}
	if s.cfg.LedgerSigner == nil {
		return tree, "", nil
	}
	signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, s.cfg.LedgerSigner)
	return tree, string(signed), err
}

func (s *Server) ledgerHead(c *fiber.Ctx) error {
	tree, signed, err := s.signedHead(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"size": tree.N, "rootHash": base64.StdEncoding.EncodeToString(tree.Hash[:]),
		"signedHead": signed, "verifierKey": s.cfg.LedgerVerifierKey,
	})
}

// ledgerConsistency proves that the ledger extends its first ?from=N
// entries: an auditor who kept the signed head of size N checks the proof
// with tlog.CheckTree against that head's root and the current one (signed
// here too). A rewritten history cannot produce a proof that checks.
func (s *Server) ledgerConsistency(c *fiber.Ctx) error {
	from, err := strconv.ParseInt(c.Query("from"), 10, 64)
	if err != nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "from", Message: "the size of the head you kept, a whole number"}}}
	}
	p, err := s.cfg.Store.LedgerConsistency(c.UserContext(), from)
	if err != nil {
		return err
	}
	proof := make([]string, len(p.Proof))
	for i, h := range p.Proof {
		proof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	tree := tlog.Tree{N: p.Head.Size, Hash: tlog.Hash(p.Head.Root)}
	var signed string
	if s.cfg.LedgerSigner != nil {
		b, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tree))}, s.cfg.LedgerSigner)
		if err != nil {
			return err
		}
		signed = string(b)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{
		"from": p.OldSize, "size": p.Head.Size, "rootHash": base64.StdEncoding.EncodeToString(p.Head.Root[:]),
		"proof": proof, "signedHead": signed, "verifierKey": s.cfg.LedgerVerifierKey,
	})
}
