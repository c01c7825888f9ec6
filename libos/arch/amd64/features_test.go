package amd64

import (
	"os"
	"path/filepath"
	"testing"
)

// docs/features.md is generated from the table and must not go stale.
func TestFeaturesDocUpToDate(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "features.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != FeaturesMarkdown() {
		t.Fatal("docs/features.md is stale: run `go run ./cmd/gophene features > docs/features.md`")
	}
}

// Every table entry names a real system call and has a handler or says why
// not.
func TestTableEntries(t *testing.T) {
	if len(calls) > len(Names) {
		t.Errorf("the table has %d slots for %d system calls", len(calls), len(Names))
	}
	for nr, s := range calls {
		if !defined(s) {
			continue
		}
		if nr >= len(Names) || Names[nr] == "" {
			t.Errorf("entry %d is not a known system call", nr)
		}
		if s.Fn == nil && s.Note == "" {
			t.Errorf("%s has no handler and no note", Names[nr])
		}
		if s.Support == partial && s.Note == "" {
			t.Errorf("%s is partial without a note saying what is missing", Names[nr])
		}
	}
}
