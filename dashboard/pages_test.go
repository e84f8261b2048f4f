package dashboard

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryPageParses parses every page as the first render does: since
// the pages are parsed on first use, not when a server is made, a broken
// template must fail here rather than at a user's first request.
func TestEveryPageParses(t *testing.T) {
	entries, err := templateFiles.ReadDir("templates")
	require.NoError(t, err)
	parsed := pages()
	n := 0
	for _, e := range entries {
		name := e.Name()
		if name == "layout.html" || name == "key_form.html" || name == "destination_fields.html" || strings.HasPrefix(name, "part_") {
			continue
		}
		n++
		require.NotNil(t, parsed[name], name)
		require.NotNil(t, parsed[name].Lookup("layout.html"), name)
	}
	require.Len(t, parsed, n)
}

// BenchmarkNewServer is what `keygate serve` spends making one
// environment's dashboard before it is ready: the pages are not parsed.
func BenchmarkNewServer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewServer(Config{}, nil)
	}
}

// BenchmarkParsePages is what the first render of a process spends, once.
func BenchmarkParsePages(b *testing.B) {
	for b.Loop() {
		parsePages()
	}
}
