package secretscan_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/keygate/keygate/credential"
	"github.com/keygate/keygate/secretscan"
)

func find(t *testing.T, prefix, text string) []secretscan.Found {
	t.Helper()
	var out []secretscan.Found
	require.NoError(t, secretscan.NewFinder(prefix).Scan(strings.NewReader(text), func(f secretscan.Found) { out = append(out, f) }))
	return out
}

// TestFinder finds keys of its prefix at word boundaries, with valid
// checks, on the right lines; and nothing else.
func TestFinder(t *testing.T) {
	t.Parallel()
	live := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	sdbx := credential.NewAPIKey("", credential.EnvSandbox, time.Now()).Token
	acme := credential.NewAPIKey("acme", credential.EnvLive, time.Now()).Token
	flipped := live[:len(live)-1] + map[bool]string{true: "B", false: "A"}[live[len(live)-1] == 'A']
	text := "first line\n" +
		"PADDLE_KEY=" + live + "\n" +
		"x" + live + "\n" + // not at a word boundary
		live + "x\n" + // nor here
		`{"key":"` + sdbx + `"} and again ` + live + "\n" +
		flipped + "\n" +
		acme + "\r\n" +
		"no newline at the end " + sdbx
	got := find(t, "", text)
	var lines []int
	var tokens []string
	for _, f := range got {
		lines, tokens = append(lines, f.Line), append(tokens, f.Token)
	}
	require.Equal(t, []int{2, 5, 5, 8}, lines)
	require.Equal(t, []string{live, sdbx, live, sdbx}, tokens)
	require.Equal(t, credential.EnvSandbox, got[1].Parsed.Env)

	acmeFound := find(t, "acme", text)
	require.Len(t, acmeFound, 1)
	require.Equal(t, 7, acmeFound[0].Line)
	require.Empty(t, find(t, "", "nothing here\n\n"))
	require.Empty(t, find(t, "", ""))
}

// TestFinderLongLine finds keys in a line longer than the finder's window,
// including one across a window's edge.
func TestFinderLongLine(t *testing.T) {
	t.Parallel()
	key := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	var b strings.Builder
	b.WriteString("a\n")
	for b.Len() < 3<<20 {
		b.WriteString(strings.Repeat("x", 1000) + " " + key + " ")
	}
	b.WriteString("\nlast " + key + "\n")
	got := find(t, "", b.String())
	want := strings.Count(b.String(), key)
	require.Len(t, got, want)
	require.Equal(t, 2, got[0].Line)
	require.Equal(t, 3, got[len(got)-1].Line)
}

// BenchmarkFinder100MB scans 100 MB of source-like text with a key every
// megabyte: the pre-commit hook's budget.
func BenchmarkFinder100MB(b *testing.B) {
	key := credential.NewAPIKey("", credential.EnvLive, time.Now()).Token
	line := []byte("\tif err := pdl_process(ctx, req); err != nil { return fmt.Errorf(\"pdl_live failed: %w\", err) }\n")
	var buf bytes.Buffer
	for buf.Len() < 100<<20 {
		for i := 0; i < (1<<20)/len(line); i++ {
			buf.Write(line)
		}
		buf.WriteString("KEY=" + key + "\n")
	}
	data := buf.Bytes()
	f := secretscan.NewFinder("")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := f.Scan(bytes.NewReader(data), func(secretscan.Found) { n++ }); err != nil {
			b.Fatal(err)
		}
		if n != 100 {
			b.Fatalf("found %d keys, want 100", n)
		}
	}
}
