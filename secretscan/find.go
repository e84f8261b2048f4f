package secretscan

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/keygate/keygate/credential"
)

// Found is a key found in text.
type Found struct {
	// Line is the 1-based line of the key's first character.
	Line int
	// Token is the key. Show it obfuscated; never print it whole.
	Token string
	// Parsed is Token parsed: its environment and ID.
	Parsed credential.Token
}

// maxLine bounds the part of a line examined at once; a key split across
// this boundary of a longer line is still found, as the window overlaps.
const maxLine = 1 << 20

// Finder finds the standard API keys of one prefix in text, offline: a
// candidate must have the key's exact shape, start and end at a word
// boundary, and carry valid check digits, so a random string that merely
// looks like a key is not reported.
type Finder struct {
	prefix []byte // "pdl_"
	keyLen int
}

// NewFinder returns a Finder for keys of prefix p ("" for the default).
func NewFinder(p string) *Finder {
	if p == "" {
		p = credential.DefaultKeyPrefix
	}
	return &Finder{prefix: []byte(p + "_"), keyLen: credential.APIKeyLenFor(p)}
}

// Scan reads r to its end and calls fn for every key found, in order.
func (f *Finder) Scan(r io.Reader, fn func(Found)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	line := 1
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long line: gather it up to maxLine, then look at it in
			// overlapping windows.
			long = append(long, chunk...)
			if len(long) >= maxLine {
				f.findIn(long, line, fn)
				keep := f.keyLen - 1
				long = append(long[:0], long[len(long)-keep:]...)
			}
			continue
		}
		if long != nil {
			chunk = append(long, chunk...)
			long = nil
		}
		f.findIn(chunk, line, fn)
		line += bytes.Count(chunk, []byte{'\n'})
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// findIn finds keys in b, whose first byte is on line; b holds at most one
// line break, at its end (or more only for text already counted).
func (f *Finder) findIn(b []byte, line int, fn func(Found)) {
	for i := 0; ; {
		j := bytes.Index(b[i:], f.prefix)
		if j < 0 {
			return
		}
		start := i + j
		i = start + 1
		end := start + f.keyLen
		if end > len(b) || (start > 0 && isWord(b[start-1])) || (end < len(b) && isWord(b[end])) {
			continue
		}
		token := string(b[start:end])
		tok, err := credential.Parse(token)
		if err != nil || tok.Kind != credential.KindAPIKey || tok.Prefix != string(f.prefix[:len(f.prefix)-1]) {
			continue
		}
		fn(Found{Line: line + bytes.Count(b[:start], []byte{'\n'}), Token: token, Parsed: tok})
		i = end
	}
}

// isWord reports whether c may be part of a word next to a key: a letter,
// a digit or an underscore.
func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
