package credential

import "unsafe"

// unsafeBytes returns the bytes of s without copying. The caller must not
// modify them; it exists so that checksums on the hot path do not allocate.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
