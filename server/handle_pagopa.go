package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/pagopa"
)

// stationPath is where the pagoPA node calls the creditor's station.
const stationPath = "/pagopa/v1/paForNode"

// paForNode hands a SOAP call to the station and writes its answer. The
// station never fails: refusals are HTTP 200 with outcome KO, so the node
// never sees a 5xx or an HTML page from this route.
func (s *Server) paForNode(c *fiber.Ctx) error {
	if key := s.cfg.StationKey; key != "" {
		h := s.cfg.StationKeyHeader
		if h == "" {
			h = "Ocp-Apim-Subscription-Key"
		}
		if subtle.ConstantTimeCompare([]byte(c.Get(h)), []byte(key)) != 1 {
			return errCode(auth.EUnauthorized, "The station key is missing or wrong.")
		}
	}
	// The station bounds the body itself (pagopa.MaxBody) and answers a
	// KO for anything larger; the app-wide limit bounds what is read.
	a := s.cfg.Station.Call(c.UserContext(), c.Get("SOAPAction"), c.Body())
	if s.metrics != nil {
		s.metrics.pagopa.WithLabelValues(a.Operation, a.Outcome, a.Fault).Inc()
	}
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).Send(a.Body)
}

// stationError answers what fails before the station sees a call (a body
// over the bound, a panic) on the station's path as the node expects: HTTP
// 200 and a SOAP fault carrying the pagoPA code, never an HTML page or a
// 5xx; any other path gets the usual problem+json.
func (s *Server) stationError(c *fiber.Ctx, err error) error {
	if c.Path() != stationPath {
		return s.handleError(c, err)
	}
	code := pagopa.FaultSemantics
	var fe *fiber.Error
	if !errors.As(err, &fe) || fe.Code >= 500 {
		code = pagopa.FaultSystem
		s.log.Error("pagoPA station call failed", "err", err)
	}
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.Status(fiber.StatusOK).Send(pagopa.EncodeFault(&pagopa.Fault{Code: code, Description: err.Error()}, s.cfg.Settings.Creditor.FiscalCode))
}

// ServeStation serves only the pagoPA station on ln until ctx ends, then
// drains calls in flight (a receipt being recorded is never cut in half).
// The caller wraps ln in TLS, with a client-certificate CA for mutual TLS.
func (s *Server) ServeStation(ctx context.Context, ln net.Listener) error {
	app := s.stationApp()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		app.ShutdownWithContext(sctx)
	}()
	return app.Listener(ln)
}
