package importcsv

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestUnclosedQuoteStaysOnItsLine is the defect found in the field: an
// unclosed quote swallowed the next good row and shifted later numbers.
func TestUnclosedQuoteStaysOnItsLine(t *testing.T) {
	in := strings.Join([]string{
		"plate,violationCode,occurredAt,place",
		`AB123CD,7-15,2026-11-02T08:00:00+01:00,"Via Torino 12`,
		"EF456GH,7-15,2026-11-02T08:01:00+01:00,Via Roma 1",
		"IJ789KL,7-15,2026-11-02T08:02:00+01:00,Via Po 3",
	}, "\n")
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rows) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(f.Rows), f.Rows)
	}
	if f.Rows[0].Line != 2 || f.Rows[0].Problem != ProblemQuote {
		t.Errorf("row 0 = %+v, want line 2 refused for its quote", f.Rows[0])
	}
	for i, want := range []struct {
		line  int
		plate string
	}{{3, "EF456GH"}, {4, "IJ789KL"}} {
		r := f.Rows[i+1]
		if r.Line != want.line || r.Problem != "" || r.Fields[Plate] != want.plate {
			t.Errorf("row %d = %+v, want line %d with plate %s", i+1, r, want.line, want.plate)
		}
	}
}

func TestSemicolonsBOMCRLFAndItalianHeaders(t *testing.T) {
	in := "\ufeffTarga;Codice violazione;Data/Ora;Luogo;Latitudine\r\n" +
		"AB123CD;142-8;02/11/2026 23:10;\"Viale Monza 120; Milano\";45,5\r\n" +
		"\r\n" +
		"EF456GH;7-15;02/11/2026 08:00\r\n"
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if f.Separator != ';' {
		t.Errorf("separator %q, want ;", f.Separator)
	}
	if len(f.Rows) != 2 {
		t.Fatalf("rows %+v, want 2 (the blank line is skipped)", f.Rows)
	}
	r := f.Rows[0]
	if r.Line != 2 || r.Fields[Plate] != "AB123CD" || r.Fields[Place] != "Viale Monza 120; Milano" || r.Fields[Lat] != "45,5" {
		t.Errorf("row = %+v", r)
	}
	if f.Rows[1].Line != 4 || f.Rows[1].Problem != ProblemFieldCount {
		t.Errorf("short row = %+v, want line 4 refused for its field count", f.Rows[1])
	}
}

func TestHeaderErrors(t *testing.T) {
	var he *HeaderError
	if _, err := Parse([]byte("\ufeff\n\n")); !errors.As(err, &he) || !he.Empty {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Parse([]byte("plate,place\nAB123CD,x")); !errors.As(err, &he) || strings.Join(he.Missing, " ") != "violationCode occurredAt" {
		t.Errorf("missing columns: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"02/11/2026 23:10":          "2026-11-02T22:10:00Z",
		"2/7/2026 08:05:30":         "2026-07-02T06:05:30Z",
		"2026-11-02T23:10:00+01:00": "2026-11-02T22:10:00Z",
	} {
		got, err := ParseTime(in, rome)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", in, got.UTC(), err, want)
		}
	}
	for _, in := range []string{"yesterday", "2026-11-02 23:10", "32/11/2026 10:00", "02/11/2026"} {
		if _, err := ParseTime(in, rome); err == nil {
			t.Errorf("ParseTime(%q) accepted", in)
		}
	}
}

// FuzzParse: any upload yields rows numbered by their real lines, in
// order, within the file, and never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte("plate,violationCode,occurredAt,place\nAB1,7-15,x,\"y\n"))
	f.Add([]byte("\ufefftarga;codice;data;luogo\r\na;b;c;d\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		prev := 1
		for _, r := range file.Rows {
			if r.Line <= prev || r.Line > lines {
				t.Fatalf("row line %d after %d, file has %d lines", r.Line, prev, lines)
			}
			prev = r.Line
			if (r.Problem == "") != (r.Fields != nil) {
				t.Fatalf("row %+v has both or neither fields and problem", r)
			}
		}
	})
}
