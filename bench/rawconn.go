package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// rawConn is one keep-alive HTTP/1.1 connection of the open-loop
// generator, without net/http: the caller hands it the request's bytes
// ready to send and it returns the status, having read the headers and
// skipped the body. net/http's client spends more CPU per request than
// Multa's verify (two goroutines per connection, a header map and a
// Request and Response per call); on a 2-core machine shared with the
// server that cost came back as the generator's own queueing in the
// latency at half the peak (issue 16). This one does a write and a read
// per request and allocates nothing on the way.
type rawConn struct {
	addr    string
	timeout time.Duration // for one request, write to last byte read
	c       net.Conn
	r       *bufio.Reader
}

// errorBodyBytes is how much of an unexpected answer's body an error
// keeps: enough for a problem+json to name its cause.
const errorBodyBytes = 300

// roundTrip sends req and reads the answer. If its status is not want,
// the error is an *httpError with the start of the body. Any failure of
// the connection itself closes it; the next call dials again.
func (rc *rawConn) roundTrip(req []byte, want int) error {
	if rc.c == nil {
		if err := rc.dial(); err != nil {
			return err
		}
	}
	status, body, err := rc.exchange(req, want)
	if err != nil {
		rc.close()
		return err
	}
	if status != want {
		return &httpError{status, string(body)}
	}
	return nil
}

// dial opens the connection; the harness dials every connection before
// its schedule starts so that no measured request pays for a handshake.
func (rc *rawConn) dial() error {
	c, err := net.DialTimeout("tcp", rc.addr, 5*time.Second)
	if err != nil {
		return err
	}
	rc.c = c
	if rc.r == nil {
		rc.r = bufio.NewReaderSize(c, 16<<10)
	} else {
		rc.r.Reset(c)
	}
	return nil
}

func (rc *rawConn) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// exchange writes req and reads one answer: its status, and the start of
// the body when the status is not want.
func (rc *rawConn) exchange(req []byte, want int) (int, []byte, error) {
	if rc.timeout > 0 {
		if err := rc.c.SetDeadline(time.Now().Add(rc.timeout)); err != nil {
			return 0, nil, err
		}
	}
	if _, err := rc.c.Write(req); err != nil {
		return 0, nil, err
	}
	status, length, chunked, closing, err := readHead(rc.r)
	if err != nil {
		return 0, nil, err
	}
	var keep []byte
	if status != want {
		keep = make([]byte, 0, errorBodyBytes)
	}
	switch {
	case status == 204 || status == 304 || status/100 == 1:
		// no body, whatever the headers say
	case chunked:
		keep, err = skipChunked(rc.r, keep)
	case length >= 0:
		keep, err = skipN(rc.r, length, keep)
	default:
		// Neither length nor chunks: the body ends with the connection.
		keep, err = skipN(rc.r, -1, keep)
		closing = true
	}
	if err != nil {
		return 0, nil, err
	}
	if closing {
		rc.close()
	}
	return status, keep, nil
}

var (
	headerContentLength    = []byte("content-length")
	headerTransferEncoding = []byte("transfer-encoding")
	headerConnection       = []byte("connection")
)

// readHead reads a status line and headers, and returns the status and
// what delimits the body: its length (-1 when not given), whether it is
// chunked, and whether the server closes the connection after it.
func readHead(r *bufio.Reader) (status int, length int64, chunked, closing bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, false, err
	}
	// "HTTP/1.1 200 OK\r\n": the version, a space, three digits.
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, 0, false, false, fmt.Errorf("malformed status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, false, fmt.Errorf("malformed status line %q", line)
	}
	closing = line[7] == '0' // HTTP/1.0 closes unless told otherwise; Multa speaks 1.1
	length = -1
	for {
		line, err = r.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return status, length, chunked, closing, nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, 0, false, false, fmt.Errorf("malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, headerContentLength):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil || length < 0 {
				return 0, 0, false, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, headerTransferEncoding):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, headerConnection):
			closing = bytes.EqualFold(value, []byte("close"))
		}
	}
}

// skipN reads n bytes (until EOF when n < 0), appending to keep what fits
// in its capacity; a nil keep keeps nothing.
func skipN(r *bufio.Reader, n int64, keep []byte) ([]byte, error) {
	for n != 0 {
		if _, err := r.Peek(1); err != nil {
			if n < 0 && err == io.EOF {
				return keep, nil
			}
			return keep, err
		}
		m := r.Buffered()
		if n > 0 {
			m = int(min(int64(m), n))
		}
		b, _ := r.Peek(m) // buffered already
		if room := cap(keep) - len(keep); room > 0 {
			keep = append(keep, b[:min(room, len(b))]...)
		}
		_, _ = r.Discard(m)
		if n > 0 {
			n -= int64(m)
		}
	}
	return keep, nil
}

// skipChunked reads a chunked body and its trailers.
func skipChunked(r *bufio.Reader, keep []byte) ([]byte, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return keep, err
		}
		size := bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(size, ';'); i >= 0 {
			size = size[:i] // chunk extensions
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		if err != nil || n < 0 {
			return keep, fmt.Errorf("malformed chunk size %q", line)
		}
		if n == 0 {
			break
		}
		if keep, err = skipN(r, n, keep); err != nil {
			return keep, err
		}
		if _, err := skipN(r, 2, nil); err != nil { // the chunk's CRLF
			return keep, err
		}
	}
	for { // trailers, up to the empty line
		line, err := r.ReadSlice('\n')
		if err != nil {
			return keep, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return keep, nil
		}
	}
}

// errNoRequest is what a request builder returns when it has nothing
// more to send (a payment pool run dry); it counts as an error.
var errNoRequest = errors.New("no request to send")

// appendGet appends a GET request for path on host.
func appendGet(dst []byte, host, path string) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	return append(dst, "\r\n\r\n"...)
}

// appendPost appends a POST request with a body and one extra header
// (skipped when its name is empty).
func appendPost(dst []byte, host, path, ctype, hname, hvalue string, body []byte) []byte {
	dst = append(dst, "POST "...)
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nContent-Type: "...)
	dst = append(dst, ctype...)
	if hname != "" {
		dst = append(dst, "\r\n"...)
		dst = append(dst, hname...)
		dst = append(dst, ": "...)
		dst = append(dst, hvalue...)
	}
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}
