package pwa

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Asset is one file of the web app, ready to serve. Its byte slices are
// shared: callers must not modify them.
type Asset struct {
	// Path is the URL path the asset is served at, e.g. "/assets/app.3f2a9c1b.js".
	Path string
	// Body is the file as served, placeholders rewritten.
	Body []byte
	// Gzip is Body compressed with gzip at best compression; always set.
	Gzip []byte
	// ContentType is the value for the Content-Type header.
	ContentType string
	// ETag is a strong entity tag, quoted, derived from Body.
	ETag string
	// Immutable is true for content-hashed URLs, which never change content.
	Immutable bool
	// CacheControl is the value for the Cache-Control header: a year and
	// "immutable" for hashed URLs, "no-cache" for everything else.
	CacheControl string
}

// Select returns the body to send for a request's Accept-Encoding header
// value and the Content-Encoding to declare ("" for none). It picks gzip
// when the client accepts it and it is actually smaller. Responses should
// carry "Vary: Accept-Encoding" either way.
func (a Asset) Select(acceptEncoding string) (body []byte, contentEncoding string) {
	if len(a.Gzip) > 0 && len(a.Gzip) < len(a.Body) && acceptsGzip(acceptEncoding) {
		return a.Gzip, "gzip"
	}
	return a.Body, ""
}

// acceptsGzip reads an Accept-Encoding value: "gzip" or "*" with a q-value
// other than 0.
func acceptsGzip(h string) bool {
	ok := false
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if name == "*" {
			if q > 0 {
				ok = true
			}
			continue
		}
		return q > 0 // an explicit gzip entry wins over "*"
	}
	return ok
}

// Bundle is a built web app: every file with its final URL and content.
// Build makes one; the package-level functions use the embedded one.
type Bundle struct {
	byURL   map[string]Asset
	urls    []string
	version string
	driver  string // URL of the driver app's HTML
	office  string // URL of the office HTML
}

// placeholder matches {{/some/path}}, {{version}} and {{precache}}.
var placeholder = regexp.MustCompile(`\{\{\s*(/[A-Za-z0-9._/-]*|version|precache)\s*\}\}`)

// hashedDir holds the files that get content-hashed URLs.
const hashedDir = "assets/"

// source is one file while the bundle is built.
type source struct {
	name   string // path in the file system, e.g. "assets/app.js"
	raw    []byte
	text   bool
	hashed bool
	refs   []string // names referred to by {{/name}}
	global bool     // uses {{version}} or {{precache}}
	url    string   // final URL, known once resolved
	body   []byte   // final content, known once resolved
}

// Build reads the app's sources from fsys (laid out as static/ is) and
// rewrites, hashes and compresses them. It fails on a placeholder naming a
// file that does not exist, on import cycles among hashed files, and on
// {{version}} or {{precache}} inside a hashed file (whose hash they would
// have to include).
func Build(fsys fs.FS) (*Bundle, error) {
	srcs := map[string]*source{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(p)
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		s := &source{name: p, raw: b, text: isText(p), hashed: strings.HasPrefix(p, hashedDir)}
		if s.text {
			for _, m := range placeholder.FindAllSubmatch(b, -1) {
				switch ref := string(m[1]); ref {
				case "version", "precache":
					s.global = true
				default:
					s.refs = append(s.refs, strings.TrimPrefix(ref, "/"))
				}
			}
		}
		if s.hashed && s.global {
			return fmt.Errorf("%s: {{version}} and {{precache}} are not allowed in hashed assets", p)
		}
		srcs[p] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		for _, r := range s.refs {
			if _, ok := srcs[r]; !ok {
				return nil, fmt.Errorf("%s refers to {{/%s}}, which does not exist", s.name, r)
			}
		}
	}

	// Hashed files first, dependencies before dependants.
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var resolve func(s *source, chain []string) error
	resolve = func(s *source, chain []string) error {
		switch state[s.name] {
		case 1:
			return fmt.Errorf("import cycle: %s", strings.Join(append(chain, s.name), " → "))
		case 2:
			return nil
		}
		state[s.name] = 1
		for _, r := range s.refs {
			if dep := srcs[r]; dep.hashed {
				if err := resolve(dep, append(chain, s.name)); err != nil {
					return err
				}
			}
		}
		s.body = rewrite(s, srcs, "", nil)
		s.url = "/" + HashName(s.name, s.body)
		state[s.name] = 2
		return nil
	}
	names := make([]string, 0, len(srcs))
	for n := range srcs {
		names = append(names, n)
	}
	sort.Strings(names)
	// Stable URLs are known up front: hashed files may refer to them.
	for _, n := range names {
		if s := srcs[n]; !s.hashed {
			s.url = stableURL(n)
		}
	}
	for _, n := range names {
		s := srcs[n]
		if !s.hashed {
			continue
		}
		if err := resolve(s, nil); err != nil {
			return nil, err
		}
	}
	// Then the stable-URL files; those that use {{version}} or {{precache}}
	// last, as the version covers everything else.
	for _, n := range names {
		if s := srcs[n]; !s.hashed && !s.global {
			s.body = rewrite(s, srcs, "", nil)
		}
	}
	sum := sha256.New()
	var precache []string
	for _, n := range names {
		s := srcs[n]
		if s.global {
			continue
		}
		h := sha256.Sum256(s.body)
		fmt.Fprintf(sum, "%s %x\n", s.url, h)
		precache = append(precache, s.url)
	}
	version := hex.EncodeToString(sum.Sum(nil))[:12]
	sort.Slice(precache, func(i, j int) bool { return precacheLess(precache[i], precache[j]) })
	for _, n := range names {
		if s := srcs[n]; s.global {
			s.body = rewrite(s, srcs, version, precache)
		}
	}

	b := &Bundle{byURL: map[string]Asset{}, version: version}
	for _, n := range names {
		s := srcs[n]
		if _, dup := b.byURL[s.url]; dup {
			return nil, fmt.Errorf("two files are served at %s", s.url)
		}
		a, err := newAsset(s)
		if err != nil {
			return nil, err
		}
		b.byURL[s.url] = a
		b.urls = append(b.urls, s.url)
	}
	sort.Strings(b.urls)
	if _, ok := b.byURL["/"]; ok {
		b.driver = "/"
	}
	if _, ok := b.byURL["/office/"]; ok {
		b.office = "/office/"
	}
	return b, nil
}

// precacheLess orders the app shell first ("/", then other pages), then the rest.
func precacheLess(a, b string) bool {
	pa, pb := strings.HasSuffix(a, "/"), strings.HasSuffix(b, "/")
	if pa != pb {
		return pa
	}
	return a < b
}

// rewrite replaces the placeholders of s with final URLs, the version and
// the precache list.
func rewrite(s *source, srcs map[string]*source, version string, precache []string) []byte {
	if !s.text {
		return s.raw
	}
	return placeholder.ReplaceAllFunc(s.raw, func(m []byte) []byte {
		ref := string(placeholder.FindSubmatch(m)[1])
		switch ref {
		case "version":
			return []byte(version)
		case "precache":
			j, _ := json.Marshal(precache)
			return j
		}
		return []byte(srcs[strings.TrimPrefix(ref, "/")].url)
	})
}

// stableURL is where an unhashed file is served: index.html files at their
// directory, everything else at its own path.
func stableURL(name string) string {
	if name == "index.html" {
		return "/"
	}
	if strings.HasSuffix(name, "/index.html") {
		return "/" + strings.TrimSuffix(name, "index.html")
	}
	return "/" + name
}

// HashName returns the content-hashed form of a file name: the first 8 hex
// digits of the SHA-256 of body go before the last extension, so
// "assets/app.js" becomes "assets/app.3f2a9c1b.js". Any change to body
// changes the name (barring a 1-in-4-billion collision).
func HashName(name string, body []byte) string {
	h := sha256.Sum256(body)
	tag := hex.EncodeToString(h[:4])
	dir, file := path.Split(name)
	ext := path.Ext(file)
	return dir + strings.TrimSuffix(file, ext) + "." + tag + ext
}

func newAsset(s *source) (Asset, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return Asset{}, err
	}
	if _, err := zw.Write(s.body); err != nil {
		return Asset{}, err
	}
	if err := zw.Close(); err != nil {
		return Asset{}, err
	}
	h := sha256.Sum256(s.body)
	a := Asset{
		Path:         s.url,
		Body:         s.body,
		Gzip:         buf.Bytes(),
		ContentType:  contentType(s.name),
		ETag:         `"` + hex.EncodeToString(h[:8]) + `"`,
		Immutable:    s.hashed,
		CacheControl: "no-cache",
	}
	if s.hashed {
		a.CacheControl = "public, max-age=31536000, immutable"
	}
	return a, nil
}

var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".txt":         "text/plain; charset=utf-8",
}

func contentType(name string) string {
	if ct, ok := contentTypes[path.Ext(name)]; ok {
		return ct
	}
	return "application/octet-stream"
}

// isText reports whether placeholders are looked for in the file.
func isText(name string) bool {
	switch path.Ext(name) {
	case ".html", ".js", ".mjs", ".css", ".json", ".webmanifest", ".svg", ".txt":
		return true
	}
	return false
}

// Lookup returns the asset served at urlPath (see the package-level Lookup).
func (b *Bundle) Lookup(urlPath string) (Asset, bool) {
	a, ok := b.byURL[urlPath]
	return a, ok
}

// AppShell returns the HTML page for a client-side route (see the
// package-level AppShell).
func (b *Bundle) AppShell(p string) (Asset, bool) {
	var u string
	switch {
	case p == "/office" || strings.HasPrefix(p, "/office/"):
		u = b.office
	case p == "/" || p == "/scan" || p == "/enter" || p == "/receipts" || p == "/plate" ||
		strings.HasPrefix(p, "/receipts/") || strings.HasPrefix(p, "/p/"):
		u = b.driver
	}
	if u == "" {
		return Asset{}, false
	}
	return b.Lookup(u)
}

// Version identifies the build: a hash over every file but the ones that
// embed it.
func (b *Bundle) Version() string { return b.version }

// Paths lists every URL path that Lookup answers, sorted.
func (b *Bundle) Paths() []string { return append([]string(nil), b.urls...) }
