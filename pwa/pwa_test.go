package pwa_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/multa/multa/pwa"
	"github.com/multa/multa/pwa/internal/icon"
)

// firstLoadBudget is the most the driver app may transfer (gzip) before it
// is usable: the HTML, the stylesheet and the modules loaded at start.
const firstLoadBudget = 60 * 1024

var (
	attrRef    = regexp.MustCompile(`(?:src|href)="([^"]+)"`)
	staticImp  = regexp.MustCompile(`(?m)^\s*import\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]`)
	dynamicImp = regexp.MustCompile(`import\(\s*['"]([^'"]+)['"]\s*\)`)
)

func mustLookup(t *testing.T, p string) pwa.Asset {
	t.Helper()
	a, ok := pwa.Lookup(p)
	if !ok {
		t.Fatalf("Lookup(%q): not found", p)
	}
	return a
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// modules returns the modules a module loads: static imports, and dynamic
// ones when dynamic is true.
func imports(body []byte, dynamic bool) []string {
	var out []string
	for _, m := range staticImp.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	if dynamic {
		for _, m := range dynamicImp.FindAllSubmatch(body, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out
}

func TestEveryReferenceExists(t *testing.T) {
	for _, page := range []string{"/", "/office/"} {
		a := mustLookup(t, page)
		if bytes.Contains(a.Body, []byte("{{")) {
			t.Errorf("%s: a placeholder was not rewritten", page)
		}
		seen := map[string]bool{}
		var walk func(from, ref string)
		walk = func(from, ref string) {
			if strings.HasPrefix(ref, "#") {
				return // a fragment of the page itself
			}
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				t.Errorf("%s refers to %q: want a same-origin absolute path", from, ref)
				return
			}
			if seen[ref] {
				return
			}
			seen[ref] = true
			if _, ok := pwa.Lookup(ref); !ok {
				if _, ok := pwa.AppShell(ref); !ok {
					t.Errorf("%s refers to %s, which is not served", from, ref)
				}
				return
			}
			if strings.HasSuffix(ref, ".js") {
				for _, imp := range imports(mustLookup(t, ref).Body, true) {
					walk(ref, imp)
				}
			}
		}
		for _, m := range attrRef.FindAllSubmatch(a.Body, -1) {
			walk(page, string(m[1]))
		}
		if len(seen) < 4 {
			t.Errorf("%s: only %d references found, the test is not reading the page", page, len(seen))
		}
	}
}

func TestManifest(t *testing.T) {
	a := mustLookup(t, "/manifest.webmanifest")
	var m struct {
		Name            string `json:"name"`
		ShortName       string `json:"short_name"`
		StartURL        string `json:"start_url"`
		Scope           string `json:"scope"`
		Display         string `json:"display"`
		ThemeColor      string `json:"theme_color"`
		BackgroundColor string `json:"background_color"`
		Icons           []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal(a.Body, &m); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	if m.Name != "Multa — paga le multe" || m.ShortName != "Multa" || m.StartURL != "/" || m.Scope != "/" ||
		m.Display != "standalone" || m.ThemeColor == "" || m.BackgroundColor == "" {
		t.Errorf("manifest fields: %+v", m)
	}
	sizes := map[string]bool{}
	maskable := false
	for _, ic := range m.Icons {
		img := mustLookup(t, ic.Src)
		cfg, err := png.DecodeConfig(bytes.NewReader(img.Body))
		if err != nil {
			t.Fatalf("%s: %v", ic.Src, err)
		}
		want := ic.Sizes
		if got := fmt.Sprintf("%dx%d", cfg.Width, cfg.Height); got != want {
			t.Errorf("%s is %s, manifest says %s", ic.Src, got, want)
		}
		sizes[ic.Sizes] = true
		maskable = maskable || ic.Purpose == "maskable"
	}
	if !sizes["192x192"] || !sizes["512x512"] || !maskable {
		t.Errorf("icons: want 192 and 512 and a maskable one, got %+v", m.Icons)
	}
}

func TestIconsAreUpToDate(t *testing.T) {
	for _, f := range icon.Files {
		want, err := icon.PNG(f.Size, f.Maskable)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("static", "assets", "icons", f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what package icon draws: run go generate ./pwa/", f.Name)
		}
	}
}

func TestHashName(t *testing.T) {
	a := pwa.HashName("assets/app.js", []byte("console.log(1)"))
	b := pwa.HashName("assets/app.js", []byte("console.log(2)"))
	if a == b {
		t.Errorf("different content, same name %s", a)
	}
	if again := pwa.HashName("assets/app.js", []byte("console.log(1)")); again != a {
		t.Errorf("same content, names %s and %s", a, again)
	}
	if !regexp.MustCompile(`^assets/app\.[0-9a-f]{8}\.js$`).MatchString(a) {
		t.Errorf("HashName = %s, want assets/app.<8 hex>.js", a)
	}
	if got := pwa.HashName("icons/icon-192.png", nil); !regexp.MustCompile(`^icons/icon-192\.[0-9a-f]{8}\.png$`).MatchString(got) {
		t.Errorf("HashName = %s", got)
	}
}

func build(t *testing.T, files map[string]string) *pwa.Bundle {
	t.Helper()
	fsys := fstest.MapFS{}
	for k, v := range files {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	b, err := pwa.Build(fsys)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return b
}

func urlOf(b *pwa.Bundle, prefix string) string {
	for _, p := range b.Paths() {
		if strings.HasPrefix(p, prefix) {
			return p
		}
	}
	return ""
}

func TestBuildRehashesDependants(t *testing.T) {
	files := map[string]string{
		"index.html":        `<script type="module" src="{{/assets/a.js}}"></script>`,
		"assets/a.js":       `import { b } from '{{/assets/b.js}}'; b();`,
		"assets/b.js":       `export function b() { return 1; }`,
		"assets/c.css":      `body{}`,
		"sw.js":             `const V = '{{version}}', P = {{precache}};`,
		"_draft/x.js":       `ignored`,
		"office/index.html": `<link href="{{/assets/c.css}}">`,
	}
	one := build(t, files)
	files["assets/b.js"] = `export function b() { return 2; }; navigator.serviceWorker.register('{{/sw.js}}');`
	two := build(t, files)
	for _, prefix := range []string{"/assets/a.", "/assets/b."} {
		if urlOf(one, prefix) == urlOf(two, prefix) {
			t.Errorf("%s kept its URL %s after b.js changed", prefix, urlOf(one, prefix))
		}
	}
	if urlOf(one, "/assets/c.") != urlOf(two, "/assets/c.") {
		t.Errorf("c.css changed URL though it did not change")
	}
	if one.Version() == two.Version() {
		t.Errorf("version %s did not change", one.Version())
	}
	idx, _ := two.Lookup("/")
	a, _ := two.Lookup(urlOf(two, "/assets/a."))
	if b, _ := two.Lookup(urlOf(two, "/assets/b.")); !bytes.Contains(b.Body, []byte(`register('/sw.js')`)) {
		t.Errorf("a hashed file's reference to a stable URL: %s", b.Body)
	}
	if !bytes.Contains(idx.Body, []byte(urlOf(two, "/assets/a."))) || !bytes.Contains(a.Body, []byte(urlOf(two, "/assets/b."))) {
		t.Errorf("references not rewritten:\n%s\n%s", idx.Body, a.Body)
	}
	sw, _ := two.Lookup("/sw.js")
	if !bytes.Contains(sw.Body, []byte(two.Version())) || !bytes.Contains(sw.Body, []byte(`"/assets/`)) {
		t.Errorf("sw.js = %s", sw.Body)
	}
	if _, ok := two.Lookup("/_draft/x.js"); ok {
		t.Errorf("files under _draft are served")
	}
	if _, ok := two.AppShell("/office/fines"); !ok {
		t.Errorf("office shell missing")
	}
}

func TestBuildErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"missing": {"index.html": `<script src="{{/assets/nope.js}}"></script>`},
		"cycle":   {"assets/a.js": `import '{{/assets/b.js}}'`, "assets/b.js": `import '{{/assets/a.js}}'`},
		"version": {"assets/a.js": `const v = '{{version}}'`},
	} {
		fsys := fstest.MapFS{}
		for k, v := range files {
			fsys[k] = &fstest.MapFile{Data: []byte(v)}
		}
		if _, err := pwa.Build(fsys); err == nil {
			t.Errorf("%s: Build succeeded, want an error", name)
		}
	}
}

func TestFirstLoadBudget(t *testing.T) {
	index := mustLookup(t, "/")
	total := len(index.Gzip)
	seen := map[string]bool{}
	var load func(p string)
	load = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		a := mustLookup(t, p)
		total += len(a.Gzip)
		if strings.HasSuffix(p, ".js") {
			for _, imp := range imports(a.Body, false) { // dynamic imports load later
				load(imp)
			}
		}
	}
	for _, m := range attrRef.FindAllSubmatch(index.Body, -1) {
		ref := string(m[1])
		if strings.HasPrefix(ref, "/assets/") && (strings.HasSuffix(ref, ".js") || strings.HasSuffix(ref, ".css")) {
			load(ref)
		}
	}
	if !seen[urlPrefix(t, "/assets/checkout.")] || !seen[urlPrefix(t, "/assets/i18n.")] {
		t.Errorf("first load misses modules it imports: %v", seen)
	}
	t.Logf("driver first load: %d files, %d bytes gzip (budget %d)", len(seen)+1, total, firstLoadBudget)
	if total > firstLoadBudget {
		t.Errorf("driver first load is %d bytes gzip, over the %d budget", total, firstLoadBudget)
	}
}

func urlPrefix(t *testing.T, prefix string) string {
	for _, p := range pwa.Paths() {
		if strings.HasPrefix(p, prefix) {
			return p
		}
	}
	t.Fatalf("no asset %s*", prefix)
	return ""
}

func TestServiceWorker(t *testing.T) {
	sw := mustLookup(t, "/sw.js")
	m := regexp.MustCompile(`const PRECACHE = (\[[^\]]*\]);`).FindSubmatch(sw.Body)
	if m == nil {
		t.Fatalf("no PRECACHE list in sw.js")
	}
	var list []string
	if err := json.Unmarshal(m[1], &list); err != nil {
		t.Fatal(err)
	}
	for _, u := range list {
		if _, ok := pwa.Lookup(u); !ok {
			t.Errorf("precache lists %s, which is not served", u)
		}
		if strings.HasPrefix(u, "/api/") || strings.HasPrefix(u, "/psp/") {
			t.Errorf("precache lists an API URL %s", u)
		}
	}
	for _, want := range []string{"/", "/office/", "/manifest.webmanifest", urlPrefix(t, "/assets/app."), urlPrefix(t, "/assets/icons/icon-192.")} {
		if !slices.Contains(list, want) {
			t.Errorf("precache misses %s", want)
		}
	}
	if !bytes.Contains(sw.Body, []byte("'"+pwa.Version()+"'")) {
		t.Errorf("sw.js does not carry the version %s", pwa.Version())
	}
	for _, must := range []string{"'/api/'", "'/psp/'", "skipWaiting", "caches.delete", "clients.claim"} {
		if !bytes.Contains(sw.Body, []byte(must)) {
			t.Errorf("sw.js lacks %s", must)
		}
	}
}

func TestCachingAndEncoding(t *testing.T) {
	for _, p := range pwa.Paths() {
		a := mustLookup(t, p)
		hashed := strings.HasPrefix(p, "/assets/")
		if a.Immutable != hashed {
			t.Errorf("%s: Immutable = %v", p, a.Immutable)
		}
		wantCC := "no-cache"
		if hashed {
			wantCC = "public, max-age=31536000, immutable"
			if !regexp.MustCompile(`\.[0-9a-f]{8}\.[a-z]+$`).MatchString(p) {
				t.Errorf("%s: hashed asset without a hash in its name", p)
			}
		}
		if a.CacheControl != wantCC {
			t.Errorf("%s: Cache-Control %q, want %q", p, a.CacheControl, wantCC)
		}
		if a.Path != p || a.ContentType == "" || !strings.HasPrefix(a.ETag, `"`) || !strings.HasSuffix(a.ETag, `"`) {
			t.Errorf("%s: %q %q %q", p, a.Path, a.ContentType, a.ETag)
		}
		if !bytes.Equal(gunzip(t, a.Gzip), a.Body) {
			t.Errorf("%s: Gzip does not inflate to Body", p)
		}
	}
	want := map[string]string{
		"/": "text/html; charset=utf-8", "/office/": "text/html; charset=utf-8",
		"/sw.js": "text/javascript; charset=utf-8", "/manifest.webmanifest": "application/manifest+json",
	}
	for p, ct := range want {
		if a := mustLookup(t, p); a.ContentType != ct || a.Immutable {
			t.Errorf("%s: %q immutable=%v", p, a.ContentType, a.Immutable)
		}
	}
}

func TestSelect(t *testing.T) {
	a := mustLookup(t, urlPrefix(t, "/assets/app."))
	for _, tc := range []struct {
		header string
		gz     bool
	}{
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"", false},
		{"identity", false},
		{"gzip;q=0", false},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"GZIP", true},
	} {
		body, enc := a.Select(tc.header)
		if (enc == "gzip") != tc.gz || (tc.gz && !bytes.Equal(body, a.Gzip)) || (!tc.gz && !bytes.Equal(body, a.Body)) {
			t.Errorf("Select(%q) = %d bytes, %q; want gzip %v", tc.header, len(body), enc, tc.gz)
		}
	}
}

func TestAppShell(t *testing.T) {
	driver, office := mustLookup(t, "/"), mustLookup(t, "/office/")
	for _, tc := range []struct {
		path string
		want []byte
	}{
		{"/", driver.Body}, {"/p/302032002700000251", driver.Body}, {"/p/3020-3200", driver.Body},
		{"/receipts", driver.Body}, {"/receipts/rc_1", driver.Body}, {"/scan", driver.Body}, {"/enter", driver.Body},
		{"/office", office.Body}, {"/office/", office.Body}, {"/office/fines/abc", office.Body},
		{"/nope", nil}, {"/api/v1/violations", nil}, {"/psp/v1/tokens", nil}, {"/p", nil}, {"/officers", nil},
	} {
		a, ok := pwa.AppShell(tc.path)
		if ok != (tc.want != nil) || (ok && !bytes.Equal(a.Body, tc.want)) {
			t.Errorf("AppShell(%q) = %s, %v", tc.path, a.Path, ok)
		}
		if ok && a.CacheControl != "no-cache" {
			t.Errorf("AppShell(%q): Cache-Control %q", tc.path, a.CacheControl)
		}
	}
	for _, r := range pwa.Routes() {
		p := strings.Replace(r, "*", "x", 1)
		_, asset := pwa.Lookup(p)
		_, shell := pwa.AppShell(p)
		if !asset && !shell && !strings.HasPrefix(r, "/assets/") {
			t.Errorf("route %s (as %s) is answered by neither Lookup nor AppShell", r, p)
		}
	}
}

// Text in app.css meets WCAG AA contrast (4.5:1): every rule that sets both
// a text colour and an opaque background, the app's text colours on the page
// and card backgrounds they inherit, and the placeholder on an input's white.
// The browser journey measures the screens it visits in Chromium; this
// covers every rule, also where Chromium is not installed.
func TestContrast(t *testing.T) {
	raw, err := os.ReadFile("static/assets/app.css")
	if err != nil {
		t.Fatal(err)
	}
	css := regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(string(raw), "")
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{3,6})\b`).FindAllStringSubmatch(css, -1) {
		vars[m[1]] = m[2]
	}
	// colour resolves "#abc", "#aabbcc", "var(--x)" or "--x"; ok is false
	// for anything else (transparent, rgba, gradients), which is skipped.
	colour := func(v string) (rgb [3]float64, ok bool) {
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))
		if m := regexp.MustCompile(`^var\(\s*--([a-z-]+)\s*\)$`).FindStringSubmatch(v); m != nil {
			v = "--" + m[1]
		}
		if name, isVar := strings.CutPrefix(v, "--"); isVar {
			if v, ok = vars[name]; !ok {
				return rgb, false
			}
		}
		h, isHex := strings.CutPrefix(v, "#")
		if !isHex || (len(h) != 3 && len(h) != 6) {
			return rgb, false
		}
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		for i := range 3 {
			n, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
			if err != nil {
				return rgb, false
			}
			rgb[i] = float64(n)
		}
		return rgb, true
	}
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.03928 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	ratio := func(a, b [3]float64) float64 {
		la, lb := lum(a), lum(b)
		return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
	}
	check := func(what, fg, bg string) {
		t.Helper()
		f, ok1 := colour(fg)
		b, ok2 := colour(bg)
		if !ok1 || !ok2 {
			t.Errorf("%s: cannot read colours %q on %q", what, fg, bg)
			return
		}
		if r := ratio(f, b); r < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, want at least 4.5:1", what, fg, bg, r)
		}
	}

	checked := 0
	decl := func(body, prop string) string {
		m := regexp.MustCompile(`(?:^|;|\s)` + prop + `\s*:\s*([^;]+)`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		sel, body := strings.TrimSpace(m[1]), m[2]
		fg := decl(body, "color")
		bg := decl(body, "background-color")
		if bg == "" {
			bg = decl(body, "background")
		}
		if fg == "" || bg == "" {
			continue
		}
		if _, ok := colour(bg); !ok {
			continue // transparent or translucent: it shows the background underneath
		}
		check(sel, fg, bg)
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d rules with a colour and a background found in app.css: the parsing is broken", checked)
	}
	for _, fg := range []string{"--text", "--muted", "--accent", "--accent-dark", "--danger", "--ok"} {
		for _, bg := range []string{"--bg", "--card"} {
			check("inherited text", fg, bg)
		}
	}
	ph := regexp.MustCompile(`::placeholder\s*\{[^}]*color:\s*([^;}]+)`).FindStringSubmatch(css)
	if ph == nil {
		t.Errorf("app.css sets no ::placeholder colour: Chromium's default grey is too light on some versions")
	} else {
		check("::placeholder on an input", ph[1], "#fff")
	}
}

// The CSP will be strict: no inline scripts, styles or handlers; no CDNs.
func TestStrictCSPFriendly(t *testing.T) {
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	handler := regexp.MustCompile(`\son[a-z]+\s*=`)
	for _, p := range pwa.Paths() {
		a := mustLookup(t, p)
		if !strings.HasPrefix(a.ContentType, "text/") {
			continue
		}
		body := string(a.Body)
		if strings.HasSuffix(a.ContentType, "html; charset=utf-8") {
			if inlineScript.MatchString(body) || strings.Contains(body, " style=") || handler.MatchString(body) || strings.Contains(body, "<style") {
				t.Errorf("%s has inline script, style or handler", p)
			}
		}
		external := strings.ReplaceAll(body, "http://www.w3.org/2000/svg", "")
		for _, bad := range []string{"http://", "https://", "eval(", "new Function", ".innerHTML", "document.write"} {
			if strings.Contains(external, bad) {
				t.Errorf("%s contains %q", p, bad)
			}
		}
	}
}

// Every id the end-to-end tests rely on (listed in README.md) exists in the sources.
func TestDocumentedIDs(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := regexp.MustCompile("(?m)^\\| `#([a-z0-9-]+)`").FindAllSubmatch(readme, -1)
	if len(ids) < 30 {
		t.Fatalf("found %d ids in README.md", len(ids))
	}
	var src strings.Builder
	fs.WalkDir(os.DirFS("static"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (path.Ext(p) == ".js" || path.Ext(p) == ".html") {
			b, _ := os.ReadFile(filepath.Join("static", p))
			src.Write(b)
		}
		return nil
	})
	all := src.String()
	for _, m := range ids {
		id := string(m[1])
		// Written as id="x" in HTML, 'x' in JS, or built as 'prefix-' + value.
		prefix := id[:strings.LastIndex(id, "-")+1]
		if !strings.Contains(all, `id="`+id+`"`) && !strings.Contains(all, `'`+id+`'`) &&
			!(prefix != "" && strings.Contains(all, `'`+prefix+`' + `)) {
			t.Errorf("README lists #%s, not found in static/", id)
		}
	}
}

// The client-side QR and notice-number parsing, run in Node when present.
func TestClientParsing(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	dir := t.TempDir()
	util := mustLookup(t, urlPrefix(t, "/assets/util."))
	if err := os.WriteFile(filepath.Join(dir, "util.mjs"), util.Body, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `import { parseQR, checkNAV, formatNAV, luhn } from './util.mjs';
const eq = (name, got, want) => { if (JSON.stringify(got) !== JSON.stringify(want)) { console.log('FAIL', name, JSON.stringify(got), '!=', JSON.stringify(want)); process.exitCode = 1; } };
eq('pagopa', parseQR('PAGOPA|002|302032002700000251|01199250158|4200'), {kind:'pagopa', noticeNumber:'302032002700000251', fiscalCode:'01199250158', amountCents:4200});
eq('pagopa lower', parseQR('pagopa|002|302032002700000251|01199250158|05')?.amountCents, 5);
eq('link', parseQR('https://multa.example/p/302032002700000251'), {kind:'link', noticeNumber:'302032002700000251'});
eq('link slash', parseQR('http://127.0.0.1:8080/p/302032002700000251/')?.noticeNumber, '302032002700000251');
eq('link bad check', parseQR('https://multa.example/p/302032002700000252'), null);
eq('other url', parseQR('https://example.com/'), null);
eq('short', parseQR('PAGOPA|002|30203200270000025|01199250158|4200'), null);
eq('version', parseQR('PAGOPA|001|302032002700000251|01199250158|4200'), null);
eq('junk', parseQR('hello'), null);
eq('spaces', checkNAV('3020 3200 2700 0002 51'), {nav:'302032002700000251'});
eq('dashes', checkNAV('3020-3200-2700-0002-51'), {nav:'302032002700000251'});
eq('letters', checkNAV('3020x'), {error:'digits'});
eq('length', checkNAV('3020'), {error:'length', n:4});
eq('check', checkNAV('302032002700000252'), {error:'check'});
eq('aux1', checkNAV('112345678901234567'), {nav:'112345678901234567'});
eq('aux9', checkNAV('912345678901234567'), {error:'check'});
eq('format', formatNAV('302032002700000251'), '3020 3200 2700 0002 51');
eq('luhn ok', luhn('4242424242424242'), true);
eq('luhn bad', luhn('4242424242424241'), false);
`
	if err := os.WriteFile(filepath.Join(dir, "t.mjs"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join(dir, "t.mjs")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("node: %v\n%s", err, out)
	}
}
