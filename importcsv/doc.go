// Package importcsv reads the camera exports that police offices upload:
// CSV with a header, ";" or "," as separator (whichever the header uses),
// an optional UTF-8 byte-order mark, and times either in RFC 3339 or in the
// Italian "dd/mm/yyyy hh:mm" form, which is Rome's wall clock.
//
// Every physical line is one record. A camera export never puts a line
// break inside a field, and reading line by line is what keeps a broken
// line (say, an unclosed quote) from swallowing the good line after it and
// shifting every later row number: the broken line is refused alone, by its
// own number.
package importcsv
