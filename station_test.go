package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/pagopa"
)

const testIBAN = "IT60X0542811101000000123456"

func TestStationConfigurationIsChecked(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	on := []string{"--db", db, "--pagopa-broker-id", "97735020584", "--pagopa-station-id", "97735020584_01"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db, "--pagopa-broker-id", "97735020584", "--creditor-iban", testIBAN}, "station id"},
		{append(on, "--creditor-iban", "IT61X0542811101000000123456"), "IBAN"},
		{on, "IBAN"},
		{append(on, "--creditor-iban", testIBAN, "--pagopa-transfer-category", "multe"), "taxonomy"},
		{append(on, "--creditor-iban", testIBAN, "--pagopa-client-ca", "ca.pem"), "--pagopa-addr"},
		{append(on, "--creditor-iban", testIBAN, "--pagopa-addr", ":8443", "--pagopa-client-ca", "ca.pem"), "mutual TLS is TLS"},
		{append(on, "--creditor-iban", testIBAN, "--pagopa-addr", ":8443", "--pagopa-tls-cert", "c.pem"), "go together"},
		{append(on, "--creditor-iban", testIBAN, "--pagopa-key", "short"), "16 characters"},
		{[]string{"--db", db, "--creditor-iban", testIBAN}, "without --pagopa-broker-id"},
	} {
		code, _, stderr := runCmd(t, "", tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure naming %s", tc.args, code, stderr, tc.want)
		}
	}
	// The environment configures it as well, and the IBAN is normalised.
	t.Setenv("MULTA_PAGOPA_BROKER_ID", "97735020584")
	t.Setenv("MULTA_PAGOPA_STATION_ID", "97735020584_01")
	t.Setenv("MULTA_CREDITOR_IBAN", "it60 x054 2811 1010 0000 0123 456")
	var c config
	if err := newFlagSet(&c).Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if !c.station.Enabled() || c.station.IBAN != testIBAN || c.station.TransferCategory != pagopa.DefaultTransferCategory {
		t.Errorf("station settings from the environment: %+v", c.station)
	}
}

// TestStationOwnListenerWithMutualTLS starts the service with the station
// on a listener of its own that requires a client certificate: the node's
// certificate gets an answer, a client without one does not get through,
// and the main listener does not serve the station at all.
func TestStationOwnListenerWithMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, "test CA", nil, nil, true)
	srvCert, srvKey := newCert(t, "127.0.0.1", ca, caKey, false)
	cliCert, cliKey := newCert(t, "pagoPA node", ca, caKey, false)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", ca.Raw)
	writePEM(t, filepath.Join(dir, "srv.pem"), "CERTIFICATE", srvCert.Raw)
	writeKey(t, filepath.Join(dir, "srv.key"), srvKey)

	mainAddr, stationAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--db", filepath.Join(dir, "m.db"), "--addr", mainAddr, "--log-level", "error",
			"--pagopa-broker-id", "97735020584", "--pagopa-station-id", "97735020584_01", "--creditor-iban", testIBAN,
			"--pagopa-addr", stationAddr, "--pagopa-tls-cert", filepath.Join(dir, "srv.pem"), "--pagopa-tls-key", filepath.Join(dir, "srv.key"),
			"--pagopa-client-ca", filepath.Join(dir, "ca.pem")}, strings.NewReader(""), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(25 * time.Second):
			t.Error("the service did not stop")
		}
	}()
	waitUp(t, "http://"+mainAddr+"/healthz")

	body, err := pagopa.Encode(&pagopa.PaVerifyPaymentNoticeReq{IDPA: "01199250158", IDBrokerPA: "97735020584", IDStation: "97735020584_01",
		QrCode: pagopa.CtQrCode{FiscalCode: "01199250158", NoticeNumber: "301000000000000123"}})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	post := func(c *http.Client, url string) (*http.Response, []byte, error) {
		resp, err := c.Post(url, "text/xml; charset=utf-8", bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	node := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cliCert.Raw}, PrivateKey: cliKey}}}}}
	resp, b, err := post(node, "https://"+stationAddr+"/pagopa/v1/paForNode")
	if err != nil || resp.StatusCode != 200 || !bytes.Contains(b, []byte("PAA_PAGAMENTO_SCONOSCIUTO")) {
		t.Fatalf("the node with its certificate: %v %v %s", err, resp, b)
	}
	stranger := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	if resp, b, err := post(stranger, "https://"+stationAddr+"/pagopa/v1/paForNode"); err == nil {
		t.Errorf("a client without a certificate got through: %d %s", resp.StatusCode, b)
	}
	if resp, b, err := post(&http.Client{Timeout: 5 * time.Second}, "http://"+mainAddr+"/pagopa/v1/paForNode"); err != nil || bytes.Contains(b, []byte("Envelope")) {
		t.Errorf("the main listener serves the station: %v %v %s", err, resp, b)
	}
}

func newCert(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeKey(t *testing.T, path string, k *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, path, "EC PRIVATE KEY", der)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", url)
}
