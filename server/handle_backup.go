package server

import (
	"bufio"
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// backup streams a consistent copy of the database while payments go on.
// The copy is one read transaction, so it is a single point in time; it is
// streamed rather than buffered, as a city's file can be gigabytes.
func (s *Server) backup(c *fiber.Ctx) error {
	// A store that is backed up by other means (PostgreSQL: pg_dump)
	// says so before anything is streamed, so the client gets a problem
	// with the advice rather than an empty 200 download.
	if err := s.cfg.Store.BackupUnsupported(); err != nil {
		return err
	}
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
