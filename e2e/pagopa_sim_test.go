package e2e

import (
	"strings"
	"testing"
)

// TestPagoPASimulatorAgainstTheBinary is the README's path for a
// newcomer: the service with the station on, and `multa pagopa-sim`
// paying its notices in pagoPA channels; the notices end up paid through
// pagoPA, and a simulator that calls the wrong station fails loudly.
func TestPagoPASimulatorAgainstTheBinary(t *testing.T) {
	s := start(t, "", "--pagopa-broker-id", "97735020584", "--pagopa-station-id", "97735020584_01",
		"--creditor-iban", "IT60X0542811101000000123456")
	tok := s.login(t, "admin", s.Admin)
	var navs []string
	for _, plate := range []string{"AA111AA", "BB222BB", "CC333CC"} {
		navs = append(navs, firstNAV(t, s.issue(t, tok, plate, "Via Torino 12, Milano")))
	}
	url := s.Base + "/pagopa/v1/paForNode"
	code, out := runCLI(t, "", "pagopa-sim", "--url", url, "--broker-id", "97735020584", "--station-id", "97735020584_01",
		"--notices", strings.Join(navs, ","), "--count", "6", "--concurrency", "2", "--seed", "1")
	if code != 0 || !strings.Contains(out, "probe ok   malformed XML: KO PAA_SEMANTICA") || strings.Contains(out, "ERROR") {
		t.Fatalf("pagopa-sim exited %d:\n%s", code, out)
	}
	for _, nav := range navs {
		v := s.call(t, "GET", "/api/v1/notices/"+nav, nil).json(t)
		p, _ := v["payment"].(map[string]any)
		if v["status"] != "paid" || p["channel"] != "pagopa" || p["psp"] == "" {
			t.Errorf("notice %s after the simulator: %v %v", nav, v["status"], p)
		}
	}
	code, out = runCLI(t, "", "pagopa-sim", "--url", url, "--broker-id", "97735020584", "--station-id", "someone-else",
		"--notices", navs[0], "--count", "1")
	if code == 0 || !strings.Contains(out, "FAIL") {
		t.Errorf("a simulator calling the wrong station exited %d:\n%s", code, out)
	}
}
