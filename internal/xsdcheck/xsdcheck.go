// Package xsdcheck validates pagoPA SOAP messages against the published
// schema with xmllint (Debian libxml2-utils), for tests. The schemas live
// in ../shared/pagopa beside the repository, as in CI.
package xsdcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Schema returns the path of paForNode.xsd, found from the module root
// (the directory holding go.mod) as ../shared/pagopa/wsdl/xsd/paForNode.xsd.
// It fails the test when the schema or xmllint is missing: a validation
// that silently does not run would be a test that cannot fail.
func Schema(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is not installed (Debian package libxml2-utils, installed by .ci/run): cannot validate against the pagoPA schema")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("xsdcheck: go.mod not found above the test's directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "pagopa", "wsdl", "xsd", "paForNode.xsd")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("xsdcheck: the pagoPA schema must be at %s (shared/ beside the clone): %v", p, err)
	}
	return p
}

// Message extracts the message element from a SOAP envelope, carrying
// over the namespace declarations of its ancestors so that it stands
// alone as a document the schema can validate.
func Message(envelope []byte) ([]byte, error) {
	d := xml.NewDecoder(bytes.NewReader(envelope))
	var decls []xml.Attr
	depth := 0
	for {
		off := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			return nil, errors.New("no message inside the SOAP Body")
		}
		if err != nil {
			return nil, err
		}
		st, ok := tok.(xml.StartElement)
		if !ok {
			if _, end := tok.(xml.EndElement); end {
				depth--
			}
			continue
		}
		if depth < 2 { // Envelope, then Header or Body
			for _, a := range st.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
					decls = append(decls, a)
				}
			}
			if depth == 1 && st.Name.Local != "Body" {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			depth++
			continue
		}
		if err := d.Skip(); err != nil {
			return nil, err
		}
		el := append([]byte(nil), envelope[off:d.InputOffset()]...)
		own := map[string]bool{}
		for _, a := range st.Attr {
			own[a.Name.Space+":"+a.Name.Local] = true
		}
		var add strings.Builder
		for _, a := range decls {
			if own[a.Name.Space+":"+a.Name.Local] {
				continue
			}
			if a.Name.Space == "" {
				fmt.Fprintf(&add, ` xmlns="%s"`, a.Value)
			} else {
				fmt.Fprintf(&add, ` xmlns:%s="%s"`, a.Name.Local, a.Value)
			}
		}
		nameEnd := bytes.IndexAny(el, " \t\r\n/>")
		if nameEnd < 0 {
			return nil, errors.New("malformed message start tag")
		}
		out := append([]byte(xml.Header), el[:nameEnd]...)
		out = append(out, add.String()...)
		return append(out, el[nameEnd:]...), nil
	}
}

// Validate fails the test unless the message inside envelope is valid
// against paForNode.xsd. what names the exchange in the failure.
func Validate(t testing.TB, what string, envelope []byte) {
	t.Helper()
	if err := Check(Schema(t), envelope); err != nil {
		t.Errorf("%s: %v\n%s", what, err, envelope)
	}
}

// Check validates the message inside envelope against the schema at xsd.
func Check(xsd string, envelope []byte) error {
	msg, err := Message(envelope)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "pagopa-*.xml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(msg); err != nil {
		f.Close()
		return err
	}
	f.Close()
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, f.Name()).CombinedOutput()
	if err != nil {
		return fmt.Errorf("not valid against paForNode.xsd: %v\n%s", err, out)
	}
	return nil
}

// CheckAll validates many envelopes with one run of xmllint, which is far
// cheaper than one process each; the error names the ones that failed.
func CheckAll(xsd string, envelopes [][]byte) error {
	if len(envelopes) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "pagopa-xsd-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	args := []string{"--noout", "--nonet", "--schema", xsd}
	for i, env := range envelopes {
		msg, err := Message(env)
		if err != nil {
			return fmt.Errorf("message %d: %v\n%s", i, err, env)
		}
		p := filepath.Join(dir, fmt.Sprintf("%05d.xml", i))
		if err := os.WriteFile(p, msg, 0o600); err != nil {
			return err
		}
		args = append(args, p)
	}
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("not valid against paForNode.xsd: %v\n%s", err, out)
	}
	return nil
}
