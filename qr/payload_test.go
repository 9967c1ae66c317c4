package qr_test

import (
	"strings"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// example is the worked example of the domain reference.
const (
	exampleNAV     = notices.NAV("302032002700000251")
	examplePayload = "PAGOPA|002|302032002700000251|01199250158|4200"
)

func TestEncodePagoPA(t *testing.T) {
	tests := []struct {
		name string
		p    qr.Payload
		want string
		code string
	}{
		{"domain example", qr.Payload{exampleNAV, milan, 4200}, examplePayload, ""},
		{"five cents has two digits", qr.Payload{exampleNAV, milan, 5}, "PAGOPA|002|302032002700000251|01199250158|05", ""},
		{"one cent", qr.Payload{exampleNAV, milan, 1}, "PAGOPA|002|302032002700000251|01199250158|01", ""},
		{"ten digits", qr.Payload{exampleNAV, milan, 9_999_999_999}, "PAGOPA|002|302032002700000251|01199250158|9999999999", ""},
		{"other creditor", qr.Payload{exampleNAV, "83000390019", 2940}, "PAGOPA|002|302032002700000251|83000390019|2940", ""},
		{"zero amount", qr.Payload{exampleNAV, milan, 0}, "", qr.EInvalidAmount},
		{"negative amount", qr.Payload{exampleNAV, milan, -100}, "", qr.EInvalidAmount},
		{"eleven digits", qr.Payload{exampleNAV, milan, 10_000_000_000}, "", qr.EInvalidAmount},
		{"wrong check digits", qr.Payload{"302032002700000252", milan, 4200}, "", notices.EInvalidNoticeNumber},
		{"grouped NAV", qr.Payload{"3020 3200 2700 0002 51", milan, 4200}, "", notices.EInvalidNoticeNumber},
		{"empty NAV", qr.Payload{"", milan, 4200}, "", notices.EInvalidNoticeNumber},
		{"wrong fiscal check digit", qr.Payload{exampleNAV, "01199250159", 4200}, "", notices.EInvalidFiscalCode},
		{"personal fiscal code", qr.Payload{exampleNAV, "RSSMRA80A01H501U", 4200}, "", notices.EInvalidFiscalCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := qr.EncodePagoPA(tt.p)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePagoPA(t *testing.T) {
	ok := func(amount int64) qr.Payload { return qr.Payload{exampleNAV, milan, amount} }
	tests := []struct {
		in   string
		want qr.Payload
		code string
	}{
		{examplePayload, ok(4200), ""},
		{"PAGOPA|002|302032002700000251|01199250158|05", ok(5), ""},
		{"PAGOPA|002|302032002700000251|01199250158|5", ok(5), ""},                        // 1 digit accepted when reading
		{"PAGOPA|002|302032002700000251|01199250158|00000004200", ok(4200), ""},           // 11 digits
		{"PAGOPA|002|302032002700000251|01199250158|99999999999", ok(99_999_999_999), ""}, // 11 digits, above what we emit
		{"PAGOPA|002|002032002700000248|01199250158|100", qr.Payload{"002032002700000248", milan, 100}, ""},
		{"PAGOPA|002|302032002700000251|01199250158", qr.Payload{}, qr.EInvalidQRPayload},
		{"PAGOPA|002|302032002700000251|01199250158|4200|", qr.Payload{}, qr.EInvalidQRPayload},
		{"pagopa|002|302032002700000251|01199250158|4200", qr.Payload{}, qr.EInvalidQRPayload},
		{" PAGOPA|002|302032002700000251|01199250158|4200", qr.Payload{}, qr.EInvalidQRPayload},
		{"", qr.Payload{}, qr.EInvalidQRPayload},
		{"PAGOPA|001|302032002700000251|01199250158|4200", qr.Payload{}, qr.EUnsupportedQRVersion},
		{"PAGOPA|02|302032002700000251|01199250158|4200", qr.Payload{}, qr.EUnsupportedQRVersion},
		{"PAGOPA|002|3020 3200 2700 0002 51|01199250158|4200", qr.Payload{}, notices.EInvalidNoticeNumber},
		{"PAGOPA|002|302032002700000252|01199250158|4200", qr.Payload{}, notices.EInvalidNoticeNumber},
		{"PAGOPA|002|30203200270000025|01199250158|4200", qr.Payload{}, notices.EInvalidNoticeNumber},
		{"PAGOPA|002|402032002700000251|01199250158|4200", qr.Payload{}, notices.EInvalidNoticeNumber},
		{"PAGOPA|002|302032002700000251|01199250150|4200", qr.Payload{}, notices.EInvalidFiscalCode},
		{"PAGOPA|002|302032002700000251|1199250158|4200", qr.Payload{}, notices.EInvalidFiscalCode},
		{"PAGOPA|002|302032002700000251|01199250158|", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|0", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|00", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|42.00", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|-4200", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|+4200", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|100000000000", qr.Payload{}, qr.EInvalidAmount},
		{"PAGOPA|002|302032002700000251|01199250158|4200" + strings.Repeat(" ", 3000), qr.Payload{}, qr.EInvalidQRPayload},
	}
	for _, tt := range tests {
		got, err := qr.ParsePagoPA(tt.in)
		if tt.code != "" {
			wantCode(t, err, tt.code)
			continue
		}
		if err != nil {
			t.Errorf("ParsePagoPA(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePagoPA(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestLink(t *testing.T) {
	for _, base := range []string{"https://multa.example.it", "https://multa.example.it/", "http://127.0.0.1:8080", "https://comune.it/multe"} {
		link := qr.LinkURL(base, exampleNAV)
		if want := strings.TrimSuffix(base, "/") + "/p/302032002700000251"; link != want {
			t.Errorf("LinkURL(%q) = %q, want %q", base, link, want)
		}
		gotBase, n, err := qr.ParseLink(link)
		if err != nil {
			t.Fatalf("ParseLink(%q): %v", link, err)
		}
		if n != exampleNAV || qr.LinkURL(gotBase, n) != link {
			t.Errorf("ParseLink(%q) = %q, %q", link, gotBase, n)
		}
	}
	bad := []struct{ in, code string }{
		{"ftp://multa.example.it/p/302032002700000251", qr.EInvalidQRPayload},
		{"https:///p/302032002700000251", qr.EInvalidQRPayload},
		{"https:multa.example.it/p/302032002700000251", qr.EInvalidQRPayload},
		{"https://multa.example.it/p/302032002700000251?x=1", qr.EInvalidQRPayload},
		{"https://multa.example.it/p/302032002700000251#pay", qr.EInvalidQRPayload},
		{"https://user:pw@multa.example.it/p/302032002700000251", qr.EInvalidQRPayload},
		{"https://multa.example.it/p/302032002700000251/", notices.EInvalidNoticeNumber},
		{"https://multa.example.it//p/302032002700000251", qr.EInvalidQRPayload},
		{"https://multa.example.it/q/302032002700000251", qr.EInvalidQRPayload},
		{"https://multa example.it/p/302032002700000251", qr.EInvalidQRPayload},
		{"https://multa.example.it/p/3020 3200 2700 0002 51", qr.EInvalidQRPayload},
		{"https://multa.example.it/p/302032002700000252", notices.EInvalidNoticeNumber},
		{"https://multa.example.it/p/30203200270000025", notices.EInvalidNoticeNumber},
		{"https://multa.éxample.it/p/302032002700000251", qr.EInvalidQRPayload},
		{"", qr.EInvalidQRPayload},
	}
	for _, tt := range bad {
		_, _, err := qr.ParseLink(tt.in)
		if err == nil {
			t.Errorf("ParseLink(%q) accepted", tt.in)
			continue
		}
		wantCode(t, err, tt.code)
	}
}

func TestParse(t *testing.T) {
	got, err := qr.Parse(examplePayload)
	want := qr.Scanned{Kind: qr.KindPagoPA, NAV: exampleNAV, FiscalCode: milan, AmountCents: 4200}
	if err != nil || got != want {
		t.Errorf("Parse(pagoPA) = %+v, %v; want %+v", got, err, want)
	}
	got, err = qr.Parse("HTTPS://multa.example.it/p/302032002700000251")
	want = qr.Scanned{Kind: qr.KindLink, NAV: exampleNAV}
	if err != nil || got != want {
		t.Errorf("Parse(link) = %+v, %v; want %+v", got, err, want)
	}
	for in, code := range map[string]string{
		"hello":                 qr.EInvalidQRPayload,
		"302032002700000251":    qr.EInvalidQRPayload,
		"BCD\n002\n1\nSCT":      qr.EInvalidQRPayload, // an EPC (SEPA) code is not ours
		"PAGOPA|003|x|y|z":      qr.EUnsupportedQRVersion,
		"https://x.it/p/1":      notices.EInvalidNoticeNumber,
		"PAGOPA|002|1|2|3":      notices.EInvalidNoticeNumber,
		"mailto:a@b.it":         qr.EInvalidQRPayload,
		"http://x.it/p/3020320": notices.EInvalidNoticeNumber,
	} {
		_, err := qr.Parse(in)
		wantCode(t, err, code)
	}
}

func TestEuro(t *testing.T) {
	for cents, want := range map[int64]string{
		2940: "€ 29,40", 5: "€ 0,05", 0: "€ 0,00", 100: "€ 1,00", 99999: "€ 999,99",
		123456: "€ 1.234,56", 123456789: "€ 1.234.567,89", -150: "€ -1,50",
	} {
		if got := qr.Euro(cents); got != want {
			t.Errorf("Euro(%d) = %q, want %q", cents, got, want)
		}
	}
}
