package pagopa

import "testing"

func TestFormatAmount(t *testing.T) {
	for cents, want := range map[int64]string{0: "0.00", 5: "0.05", 42: "0.42", 100: "1.00", 4200: "42.00", 123456: "1234.56", maxAmountCents: "999999999.99"} {
		if got := FormatAmount(cents); got != want {
			t.Errorf("FormatAmount(%d) = %q, want %q", cents, got, want)
		}
		if back, err := ParseAmount(want); err != nil || back != cents {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", want, back, err, cents)
		}
	}
}

func TestParseAmountRejects(t *testing.T) {
	for _, s := range []string{"", "42", "42.0", "42.000", ".42", "-1.00", "+1.00", "1,00", "1e2.00", "1000000000.00", "4 2.00", "0x1.00", "٤٢.٠٠"} {
		if c, err := ParseAmount(s); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want an error", s, c)
		}
	}
	if c, err := ParseAmount(" 42.10\n"); err != nil || c != 4210 {
		t.Errorf("whitespace around an amount: %d, %v", c, err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"42.00", "0.01", "999999999.99", "1.2", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAmount(s)
		if err != nil {
			return
		}
		if c < 0 || c > maxAmountCents {
			t.Fatalf("ParseAmount(%q) = %d out of range", s, c)
		}
		if back, err := ParseAmount(FormatAmount(c)); err != nil || back != c {
			t.Fatalf("round trip of %d: %d, %v", c, back, err)
		}
	})
}
