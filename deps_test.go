package keygate_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/keygate/keygate"

// packages returns every package directory of the module (relative, "." for
// the root) with the parsed non-test files in it.
func packages(t *testing.T) map[string][]*ast.File {
	t.Helper()
	out := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		out[filepath.Dir(path)] = append(out[filepath.Dir(path)], f)
		return nil
	})
	require.NoError(t, err)
	return out
}

// imports returns the module's own packages (relative) and the third-party
// modules a package imports.
func imports(files []*ast.File) (own, thirdParty []string) {
	for _, f := range files {
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			switch {
			case p == module:
				own = append(own, ".")
			case strings.HasPrefix(p, module+"/"):
				own = append(own, strings.TrimPrefix(p, module+"/"))
			case strings.Contains(strings.Split(p, "/")[0], "."):
				thirdParty = append(thirdParty, p)
			}
		}
	}
	return own, thirdParty
}

// TestDependencyDirection enforces DESIGN.md's layout: the domain imports
// only the standard library, the engines import no other adapter, and only
// cmd/keygate wires more than one adapter together.
func TestDependencyDirection(t *testing.T) {
	pkgs := packages(t)
	require.Contains(t, pkgs, ".")
	adapters := []string{"sqlite", "postgres"}
	for dir, files := range pkgs {
		own, third := imports(files)
		switch {
		case dir == ".":
			require.Empty(t, own, "the domain imports none of keygate's packages")
			require.Empty(t, third, "the domain imports only the standard library")
		case dir == "credential":
			require.Empty(t, own, "credential is self-contained")
		case dir == "cmd/keygate" || strings.HasPrefix(dir, "bench/") || dir == "storetest":
			// Commands wire adapters together; the conformance suite opens them.
		default:
			for _, a := range adapters {
				if a != dir {
					require.NotContains(t, own, a, "%s must not import the %s adapter", dir, a)
				}
			}
			if dir == "sqlite" || dir == "postgres" || strings.HasPrefix(dir, "internal/") {
				require.NotContains(t, own, "app", "%s is storage: it must not import the use cases", dir)
			}
		}
	}
}

// TestDocComments checks that every package has a doc comment and every
// exported name of a non-main package has one that starts with its name.
func TestDocComments(t *testing.T) {
	for dir, files := range packages(t) {
		pkg := &ast.Package{Name: files[0].Name.Name, Files: map[string]*ast.File{}}
		for i, f := range files {
			pkg.Files[string(rune('a'+i))+".go"] = f
		}
		hasDoc := false
		for _, f := range files {
			hasDoc = hasDoc || f.Doc != nil
		}
		require.True(t, hasDoc, "package %s has no doc comment", dir)
		if pkg.Name == "main" {
			continue
		}
		d := doc.New(pkg, dir, doc.AllDecls)
		check := func(name, text string) {
			if ast.IsExported(name) {
				require.True(t, strings.HasPrefix(text, name+" ") || strings.HasPrefix(text, "A "+name) || strings.HasPrefix(text, "An "+name) || strings.HasPrefix(text, "The "),
					"%s.%s: doc comment must be a sentence about it, got %q", dir, name, text)
			}
		}
		for _, f := range d.Funcs {
			check(f.Name, f.Doc)
		}
		for _, typ := range d.Types {
			if !ast.IsExported(typ.Name) {
				continue // its methods are not the package's API
			}
			check(typ.Name, typ.Doc)
			for _, f := range append(typ.Funcs, typ.Methods...) {
				check(f.Name, f.Doc)
			}
		}
		for _, v := range append(d.Vars, d.Consts...) {
			for _, name := range v.Names {
				if ast.IsExported(name) && v.Doc == "" {
					require.NotEmpty(t, v.Doc, "%s.%s has no doc comment", dir, name)
				}
			}
		}
	}
}
