package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// domainFormats are the English formats of the domain's errors, read from
// its source: the formats given to Errorf, FieldError and fieldErrorf.
func domainFormats(t *testing.T) map[string]bool {
	t.Helper()
	formatAt := map[string]int{"Errorf": 1, "FieldError": 1, "fieldErrorf": 2}
	files, err := filepath.Glob(filepath.Join("..", "..", "domain", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("the domain's sources: %v", err)
	}
	formats := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			at, ok := formatAt[name]
			if !ok || len(call.Args) <= at {
				return true
			}
			if lit, ok := call.Args[at].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				formats[s] = true
			}
			return true
		})
	}
	return formats
}

// Every message the domain can refuse a command with reads in French on a
// French page.
func TestEveryDomainMessageHasAFrenchTranslation(t *testing.T) {
	formats := domainFormats(t)
	if len(formats) < 40 {
		t.Fatalf("found %d formats in the domain's sources: the parse missed them", len(formats))
	}
	for f := range formats {
		fr, ok := frenchDomainMessages[f]
		if !ok {
			t.Errorf("no French for the domain's %q", f)
			continue
		}
		if strings.Count(fr, "%") != strings.Count(f, "%") {
			t.Errorf("%q: the French %q has other verbs", f, fr)
		}
	}
}
