package server

import (
	"bytes"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// getReceipt returns a receipt; its id is unguessable, so knowing it is
// the authorisation to see it, as with a paper receipt. A paid notice's
// verify names its receipt, so the answer is the public view: no payer
// identity.
func (s *Server) getReceipt(c *fiber.Ctx) error {
	r, err := s.receiptParam(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(r.Public())
}

func (s *Server) receiptParam(c *fiber.Ctx) (notices.Receipt, error) {
	id := c.Params("id")
	if len(id) != 32 || !isHex(id) {
		return notices.Receipt{}, notices.Errorf(notices.EReceiptNotFound, "no such receipt")
	}
	return s.cfg.Store.Receipt(c.UserContext(), id)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Server) receiptPDF(c *fiber.Ctx) error {
	r, err := s.receiptParam(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := qr.ReceiptPDF(&buf, r); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="ricevuta-`+r.ID[:8]+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}

// receiptProof returns what an auditor needs to check offline that a
// receipt is in the signed log: the record, its index and the hashes.
func (s *Server) receiptProof(c *fiber.Ctx) error {
	if _, err := s.receiptParam(c); err != nil {
		return err
	}
	p, err := s.cfg.Store.ReceiptProof(c.UserContext(), c.Params("id"))
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
		"index": p.Index, "record": base64.StdEncoding.EncodeToString(p.Record),
		"treeSize": p.Head.Size, "rootHash": base64.StdEncoding.EncodeToString(p.Head.Root[:]),
		"proof": proof, "signedHead": signed, "verifierKey": s.cfg.LedgerVerifierKey,
	})
}
