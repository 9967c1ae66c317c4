package server

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
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
