package server

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// codeWord is the shape of every stable error code.
var codeWord = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// TestOpenAPICodesHaveTheirStatus: every code the served OpenAPI document
// names for an error response is mapped in statusOf, and to that very
// status, so the document cannot promise what the server does not answer.
func TestOpenAPICodesHaveTheirStatus(t *testing.T) {
	raw, err := jsonMarshal(buildOpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct{ Description string }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for path, item := range doc.Paths {
		for method, o := range item {
			for key, r := range o.Responses {
				if key == "default" {
					continue
				}
				status, err := strconv.Atoi(key)
				if err != nil {
					t.Fatalf("%s %s: response key %q is not a status", method, path, key)
				}
				if status < 400 {
					continue
				}
				for _, part := range strings.Split(r.Description, ",") {
					words := strings.Fields(part)
					if len(words) == 0 || !codeWord.MatchString(words[0]) {
						t.Errorf("%s %s %d: %q does not start with an error code", method, path, status, part)
						continue
					}
					code := words[0]
					seen++
					got, ok := statusOf[code]
					switch {
					case !ok:
						t.Errorf("%s %s documents %s, which has no status in statusOf", method, path, code)
					case got != status:
						t.Errorf("%s %s documents %s as %d; statusOf answers it with %d", method, path, code, status, got)
					}
				}
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d documented error codes; is the parsing of the descriptions broken?", seen)
	}
}

// notOverHTTP are the codes that no request can end with, and why.
var notOverHTTP = map[string]string{
	"database_in_use":  "returned when the store is opened, before the server starts",
	"database_damaged": "returned when the store is opened with its check, before the server starts",
	"ledger_mismatch":  "returned by VerifyLedger, which only the verify command runs",
}

// TestEveryCodeHasAStatus: each error code defined by this package or by
// a package of the module that it imports (a const E… = "snake_case") has
// a status, unless it is listed in notOverHTTP. A new code without a
// status would otherwise be answered as an internal error.
func TestEveryCodeHasAStatus(t *testing.T) {
	dirs := map[string]bool{".": true}
	for _, imp := range moduleImports(t, ".") {
		dirs[filepath.Join("..", strings.TrimPrefix(imp, modulePath+"/"))] = true
	}
	found := map[string]string{}
	for dir := range dirs {
		for name, code := range errorCodes(t, dir) {
			found[name] = code
		}
	}
	if len(found) < 30 {
		t.Fatalf("found only %d error codes in %v; is the source scan broken?", len(found), dirs)
	}
	for name, code := range found {
		_, mapped := statusOf[code]
		_, exempt := notOverHTTP[code]
		if !mapped && !exempt {
			t.Errorf("%s = %q has no status in statusOf (and is not in notOverHTTP)", name, code)
		}
		if mapped && exempt {
			t.Errorf("%s = %q is both mapped and listed as never answered", name, code)
		}
	}
	for code := range notOverHTTP {
		if !hasValue(found, code) {
			t.Errorf("notOverHTTP lists %q, which no package defines any more", code)
		}
	}
}

const modulePath = "github.com/multa/multa"

// moduleImports lists the module's packages that the non-test files of
// dir import.
func moduleImports(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, f := range parseDir(t, dir) {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, modulePath+"/") {
				out = append(out, p)
			}
		}
	}
	return out
}

// errorCodes returns the error codes the non-test files of dir define, by
// qualified constant name.
func errorCodes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range parseDir(t, dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i >= len(vs.Values) || !isCodeName(n.Name, dir) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if codeWord.MatchString(v) {
						out[f.Name.Name+"."+n.Name] = v
					}
				}
			}
		}
	}
	return out
}

// isCodeName: exported codes are named E…, this package's own code….
func isCodeName(name, dir string) bool {
	if dir == "." {
		return strings.HasPrefix(name, "code") && len(name) > 4 && name[4] >= 'A' && name[4] <= 'Z'
	}
	return len(name) > 1 && name[0] == 'E' && name[1] >= 'A' && name[1] <= 'Z'
}

func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	fset := token.NewFileSet()
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

func hasValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}
