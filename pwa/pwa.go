// Package pwa is Multa's installable web app — the driver app at "/" and the
// back office at "/office/" — embedded in the binary with go:embed.
//
// The static sources live in static/. At init the package builds a Bundle:
// every file under static/assets/ gets a content-hashed URL
// (/assets/app.js → /assets/app.3f2a9c1b.js) that may be cached forever;
// the HTML pages, the web manifest and the service worker keep stable URLs
// and must be revalidated on every use (Cache-Control: no-cache).
//
// Sources refer to other files through placeholders that the build rewrites:
//
//	{{/assets/app.js}}   the final URL of a file (hashed under /assets/)
//	{{version}}          the deploy version, derived from every asset hash
//	{{precache}}         a JSON array of the app-shell URLs (service worker)
//
// A module's hash covers its text after its own placeholders are rewritten,
// so a change in a dependency changes the URL of everything that imports it.
// Every asset is also gzipped once (best compression) so a server can answer
// Accept-Encoding: gzip without compressing per request.
//
// The package imports no web framework: the server looks assets up with
// Lookup and AppShell and writes the fields of Asset as headers and body.
package pwa

import (
	"embed"
	"io/fs"
)

//go:embed all:static
var embedded embed.FS

// defaultBundle is built once from the embedded files. A broken source tree
// (a placeholder naming a missing file, an import cycle) is a programming
// error that the package tests catch, so init panics on it.
var defaultBundle = mustBuild()

func mustBuild() *Bundle {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic("pwa: " + err.Error())
	}
	b, err := Build(sub)
	if err != nil {
		panic("pwa: building the embedded web app: " + err.Error())
	}
	return b
}

// Lookup returns the embedded asset served at urlPath, such as
// "/assets/app.3f2a9c1b.js", "/sw.js", "/manifest.webmanifest", "/" or
// "/office/". It does not map app routes such as "/p/{nav}"; see AppShell.
func Lookup(urlPath string) (Asset, bool) { return defaultBundle.Lookup(urlPath) }

// AppShell returns the HTML page for a client-side route of the app: the
// driver page for "/", "/scan", "/enter", "/receipts", "/receipts/{id}", "/plate" and
// "/p/{nav}", and the office page for "/office" and "/office/...".
// It reports false for any other path (the server should answer 404).
func AppShell(path string) (Asset, bool) { return defaultBundle.AppShell(path) }

// Version identifies this build of the web app; it changes whenever any
// asset changes, and names the service worker's cache.
func Version() string { return defaultBundle.Version() }

// Paths lists every URL path that Lookup answers, sorted.
func Paths() []string { return defaultBundle.Paths() }

// Routes lists the path patterns a server should send to this package, in
// the style of Fiber and net/http (a trailing "*" matches any rest):
// exact asset paths are answered by Lookup, the rest by AppShell. Register
// them after the API routes so that /api/ and /psp/ keep precedence.
func Routes() []string {
	return []string{
		"/",
		"/scan",
		"/enter",
		"/receipts",
		"/plate",
		"/receipts/*",
		"/p/*",
		"/office",
		"/office/*",
		"/manifest.webmanifest",
		"/sw.js",
		"/assets/*",
	}
}

// ContentSecurityPolicy is a policy under which the whole app works: no
// inline scripts or styles, images from the app itself plus blob: and data:
// URLs, camera frames and PDFs through blob: URLs. The server may send it
// (or a stricter one that still allows these) with every page.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; " +
	"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// PermissionsPolicy allows what the app uses — the camera (scanning) and
// geolocation (issuing fines) — for the app's own origin only.
const PermissionsPolicy = "camera=(self), geolocation=(self), microphone=(), payment=()"
