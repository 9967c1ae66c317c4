package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// financeRoutes are the finance office's and the administrator's.
func (s *Server) financeRoutes(api fiber.Router) {
	api.Get("/ledger", s.requireRole(finance...), s.ledgerHead)
	api.Get("/admin/backup", s.requireRole(admins...), s.backup)
	api.Get("/stats", s.requireRole(finance...), s.stats)
	api.Get("/reconciliation", s.requireRole(finance...), s.reconciliation)
	api.Post("/reconciliation/flows", s.requireRole(finance...), s.uploadFlow)
}

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

// backup streams a consistent copy of the database while payments go on.
// The copy is one read transaction, so it is a single point in time; it is
// streamed rather than buffered, as a city's file can be gigabytes.
func (s *Server) backup(c *fiber.Ctx) error {
	name := "multa-" + s.now().Format("20060102-150405") + ".db"
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	by, store, log := principalOf(c).Username, s.cfg.Store, s.log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		start := time.Now()
		n, err := store.Backup(context.Background(), w)
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			log.Error("backup failed", "by", by, "err", err)
			return
		}
		log.Info("backup served", "bytes", n, "by", by, "took", time.Since(start).String())
	})
	return nil
}
