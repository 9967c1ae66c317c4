package importcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// The fields a fine needs from a detection, by their canonical names (the
// names of the import API); Lat and Lon are optional.
const (
	Plate         = "plate"
	ViolationCode = "violationCode"
	OccurredAt    = "occurredAt"
	Place         = "place"
	Lat           = "lat"
	Lon           = "lon"
	// Photo names an image file of the detection, in the zip archive
	// the CSV came in (optional).
	Photo = "photo"
)

// Required are the columns without which no row can become a fine.
var Required = []string{Plate, ViolationCode, OccurredAt, Place}

// aliases maps a header, lower-cased and without spaces, dots, dashes and
// underscores, to its canonical column: the English names of the API and
// the Italian ones that office software exports.
var aliases = map[string]string{
	"plate": Plate, "targa": Plate, "numerotarga": Plate,
	"violationcode": ViolationCode, "violation": ViolationCode, "codice": ViolationCode,
	"codiceviolazione": ViolationCode, "violazione": ViolationCode, "codiceinfrazione": ViolationCode,
	"occurredat": OccurredAt, "time": OccurredAt, "datetime": OccurredAt, "dataora": OccurredAt,
	"data": OccurredAt, "datainfrazione": OccurredAt, "dataeora": OccurredAt,
	"place": Place, "luogo": Place, "indirizzo": Place, "localita": Place, "località": Place,
	"lat": Lat, "latitude": Lat, "latitudine": Lat,
	"lon": Lon, "lng": Lon, "longitude": Lon, "longitudine": Lon,
	"photo": Photo, "image": Photo, "foto": Photo, "immagine": Photo, "fotogramma": Photo,
}

// MaxLineBytes bounds one line; a longer one is refused, not read.
const MaxLineBytes = 4096

// File is a parsed export: its separator, the mapping of canonical columns
// to the header's own names and positions, and its data rows.
type File struct {
	Separator rune
	// Columns maps each recognised canonical column to the header's index.
	Columns map[string]int
	// Header is the header row as written in the file.
	Header []string
	Rows   []Row
}

// Row is one data line: Line is its number in the file (the header is
// line 1), Fields its values by canonical column, or Problem why it could
// not be read at all. Empty lines are not rows.
type Row struct {
	Line    int
	Fields  map[string]string
	Problem Problem
}

// Problem names why a line could not be read as CSV, or "" when it was.
type Problem string

// Line problems; the server words them for people in their language.
const (
	ProblemNone       Problem = ""
	ProblemQuote      Problem = "unclosed_quote" // a quote opened and never closed, or a stray quote
	ProblemFieldCount Problem = "field_count"    // fewer or more fields than the header
	ProblemTooLong    Problem = "line_too_long"
	ProblemEncoding   Problem = "not_utf8"
)

// HeaderError says what is wrong with the header: Missing lists required
// columns not found; Empty means the file has no header line at all.
type HeaderError struct {
	Empty   bool
	Missing []string
}

func (e *HeaderError) Error() string {
	if e.Empty {
		return "the CSV needs a header row"
	}
	return "missing column " + strings.Join(e.Missing, ", ")
}

// Parse reads a whole export. It fails only on the header (a *HeaderError);
// a bad data line becomes a Row with a Problem and never stops the others.
func Parse(data []byte) (*File, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	lines := splitLines(data)
	first := -1
	for i, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			first = i
			break
		}
	}
	if first < 0 {
		return nil, &HeaderError{Empty: true}
	}
	sep := detectSeparator(lines[first])
	header, prob := readLine(lines[first], sep)
	if prob != ProblemNone {
		return nil, &HeaderError{Empty: true}
	}
	f := &File{Separator: sep, Header: header, Columns: map[string]int{}}
	for i, h := range header {
		if c, ok := aliases[normHeader(h)]; ok {
			if _, dup := f.Columns[c]; !dup {
				f.Columns[c] = i
			}
		}
	}
	var missing []string
	for _, c := range Required {
		if _, ok := f.Columns[c]; !ok {
			missing = append(missing, c)
		}
	}
	if missing != nil {
		return nil, &HeaderError{Missing: missing}
	}
	for i := first + 1; i < len(lines); i++ {
		l := lines[i]
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		row := Row{Line: i + 1}
		rec, prob := readLine(l, sep)
		switch {
		case prob != ProblemNone:
			row.Problem = prob
		case len(rec) != len(header):
			row.Problem = ProblemFieldCount
		default:
			row.Fields = make(map[string]string, len(f.Columns))
			for c, j := range f.Columns {
				row.Fields[c] = strings.TrimSpace(rec[j])
			}
		}
		f.Rows = append(f.Rows, row)
	}
	return f, nil
}

// splitLines cuts data at "\n", dropping a "\r" before it: Windows exports
// end lines with CRLF.
func splitLines(data []byte) [][]byte {
	lines := bytes.Split(data, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte("\r"))
	}
	return lines
}

// detectSeparator picks ";" or "," by which occurs more often outside
// quotes in the header: Italian spreadsheets write ";" because "," is
// their decimal mark. A tie (a one-column header) means ",".
func detectSeparator(header []byte) rune {
	var semi, comma int
	quoted := false
	for _, c := range header {
		switch c {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				semi++
			}
		case ',':
			if !quoted {
				comma++
			}
		}
	}
	if semi > comma {
		return ';'
	}
	return ','
}

// readLine reads one line as one CSV record with the given separator.
func readLine(l []byte, sep rune) ([]string, Problem) {
	if len(l) > MaxLineBytes {
		return nil, ProblemTooLong
	}
	if !utf8.Valid(l) {
		return nil, ProblemEncoding
	}
	r := csv.NewReader(bytes.NewReader(l))
	r.Comma = sep
	r.FieldsPerRecord = -1
	// On one line, the only errors left are quotes: one left open (the
	// reader meets the end inside the field) or a stray one in a bare field.
	rec, err := r.Read()
	if err != nil {
		return nil, ProblemQuote
	}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		return nil, ProblemQuote
	}
	return rec, ProblemNone
}

// normHeader lower-cases a header and drops what spreadsheets add around
// words, so that "Data/Ora", "data_ora" and "DataOra" match alike.
func normHeader(h string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(h)) {
		switch c {
		case ' ', '.', '-', '_', '/', '\t':
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
