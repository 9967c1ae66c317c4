package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/payment"
)

// newStation builds the pagoPA station when the operator configured one.
func newStation(c *config, payments *payment.Service, log *slog.Logger) *pagopa.Station {
	if !c.station.Enabled() {
		return nil
	}
	return pagopa.New(pagopa.Config{Settings: c.station, Creditor: c.settings.Creditor, Payments: payments, Now: time.Now, Logger: log})
}

// stationListener opens the station's own listener (--pagopa-addr): TLS
// when a certificate is given, and then mutual TLS when a client CA is
// given, so that only the node's certificate gets through.
func stationListener(c *config) (net.Listener, error) {
	ln, err := net.Listen("tcp", c.PagoPAAddr)
	if err != nil {
		return nil, fmt.Errorf("--pagopa-addr: %w", err)
	}
	if c.PagoPATLSCert == "" {
		return ln, nil
	}
	tc, err := stationTLS(c.PagoPATLSCert, c.PagoPATLSKey, c.PagoPAClientCA)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return tls.NewListener(ln, tc), nil
}

// stationTLS is the TLS configuration of the station's own listener.
func stationTLS(certFile, keyFile, clientCA string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("pagoPA station certificate: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, fmt.Errorf("--pagopa-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("--pagopa-client-ca: no PEM certificate in the file")
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// stationSummary is the start-up log line of the station.
func stationSummary(c *config, s notices.Creditor) []any {
	where := "main listener " + c.Addr
	if c.PagoPAAddr != "" {
		where = c.PagoPAAddr
		switch {
		case c.PagoPAClientCA != "":
			where += " (mutual TLS)"
		case c.PagoPATLSCert != "":
			where += " (TLS)"
		}
	}
	return []any{"idPA", s.FiscalCode, "idBrokerPA", c.station.BrokerID, "idStation", c.station.StationID,
		"iban", c.station.IBAN, "transferCategory", c.station.TransferCategory, "on", where, "sharedKey", c.PagoPAKey != ""}
}
