// Package layers holds the test that keeps docs/design.md true: every
// package of the module has a row there, imports only the packages its
// row allows, and uses the restricted libraries only where the document
// says.
package layers

import (
	"errors"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

const (
	modulePath = "github.com/multa/multa"
	designDoc  = "docs/design.md"
)

// code matches the `backticked` names in a table cell.
var code = regexp.MustCompile("`([^`]+)`")

// design is what docs/design.md's two tables say.
type design struct {
	mayImport map[string][]string // package → module packages it may import; nil means any
	onlyIn    map[string][]string // library import path prefix → packages that may import it
}

func TestDesignDocumentMatchesTheCode(t *testing.T) {
	root := moduleRoot(t)
	d := readDesign(t, filepath.Join(root, designDoc))
	pkgs := modulePackages(t, root)
	if len(pkgs) < 10 || len(d.mayImport) < 10 {
		t.Fatalf("found %d packages and %d rows: is the scan or the table parsing broken?", len(pkgs), len(d.mayImport))
	}
	for _, name := range sortedKeys(pkgs) {
		allowed, listed := d.mayImport[name]
		if !listed {
			t.Errorf("package %s has no row in %s: add one (what it owns, what it may import)", name, designDoc)
			continue
		}
		for _, imp := range pkgs[name] {
			if ours, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
				if allowed != nil && !slices.Contains(allowed, ours) {
					t.Errorf("%s imports %s, which its row in %s does not allow (arrows point inward)", name, ours, designDoc)
				}
				continue
			}
			for lib, where := range d.onlyIn {
				if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !slices.Contains(where, name) {
					t.Errorf("%s imports %s; %s keeps %s to %v", name, imp, designDoc, lib, where)
				}
			}
		}
	}
	for name := range d.mayImport {
		if _, ok := pkgs[name]; !ok {
			t.Errorf("%s has a row for %s, which is not a package of the module any more", designDoc, name)
		}
	}
}

// readDesign parses the rows of the "Packages" table (package | owns |
// may import) and of the "Libraries kept to one place" table (library |
// only in).
func readDesign(t *testing.T, path string) design {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := design{mayImport: map[string][]string{}, onlyIn: map[string][]string{}}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		names := func(cell string) []string {
			var out []string
			for _, m := range code.FindAllStringSubmatch(cell, -1) {
				out = append(out, m[1])
			}
			return out
		}
		switch section {
		case "Packages":
			if len(cells) != 3 {
				t.Fatalf("%s: a package row has 3 cells: %s", designDoc, line)
			}
			name := names(cells[0])[0]
			if strings.TrimSpace(cells[2]) == "any" {
				d.mayImport[name] = nil
			} else {
				d.mayImport[name] = append([]string{}, names(cells[2])...)
			}
		case "Libraries kept to one place":
			if len(cells) != 2 {
				t.Fatalf("%s: a library row has 2 cells: %s", designDoc, line)
			}
			d.onlyIn[names(cells[0])[0]] = names(cells[1])
		}
	}
	return d
}

// modulePackages maps each package directory of the module ("." for the
// root) to the imports of its non-test files, as the go command would
// build them on this platform.
func modulePackages(t *testing.T, root string) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		if n := e.Name(); path != root && (strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || n == "testdata" || n == "node_modules") {
			return filepath.SkipDir
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		p, err := build.ImportDir(path, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkgs[filepath.ToSlash(rel)] = p.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestNoOptionalPorts: no code asks a store for a capability with a type
// assertion (st.(notices.FlowStore), st.(interface{ … })). Every port is
// part of notices.Store, so a store that lacks one fails to compile
// instead of failing at run time on one route.
func TestNoOptionalPorts(t *testing.T) {
	root := moduleRoot(t)
	found := 0
	err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if n := e.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		found++
		ast.Inspect(f, func(n ast.Node) bool {
			ta, ok := n.(*ast.TypeAssertExpr)
			if !ok || ta.Type == nil {
				return true
			}
			var name string
			switch x := ta.X.(type) {
			case *ast.Ident:
				name = x.Name
			case *ast.SelectorExpr:
				name = x.Sel.Name
			}
			if strings.EqualFold(name, "store") || strings.HasSuffix(name, "Store") {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d: a type assertion on %s asks for an optional port; make it part of notices.Store", rel, fset.Position(ta.Pos()).Line, name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Fatalf("parsed only %d files", found)
	}
}
