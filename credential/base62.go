package credential

import (
	"crypto/rand"
	"hash/crc32"
)

// alphabet is the base62 alphabet in the order of the check digits: 0-9A-Za-z.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checkModulus is 62³, the number of distinct 3-character check values.
const checkModulus = 62 * 62 * 62

// CheckLen is the length of the check suffix of API and partner keys.
const CheckLen = 3

// Check returns the 3-character check of body: CRC-32 (IEEE) of body modulo
// 62³, in base62, left-padded with '0'. body is every byte of a key before its
// last underscore.
func Check(body string) string {
	d := checkDigits(body)
	return string(d[:])
}

// checkDigits computes the check of body into a fixed array, without
// allocating.
func checkDigits(body string) [CheckLen]byte {
	n := crc32.ChecksumIEEE(unsafeBytes(body)) % checkModulus
	var digits [CheckLen]byte
	for i := CheckLen - 1; i >= 0; i-- {
		digits[i] = alphabet[n%62]
		n /= 62
	}
	return digits
}

// validCheck reports whether check is the check of body, without allocating.
func validCheck(body, check string) bool {
	d := checkDigits(body)
	return check == string(d[:])
}

// randomBase62 returns n characters drawn uniformly from the base62 alphabet
// using crypto/rand. Bytes of 248 and above are discarded (rejection
// sampling) so that every character is equally likely: 248 is the largest
// multiple of 62 that fits in a byte.
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:]) // never returns an error; crashes the program if the OS has no entropy
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out = append(out, alphabet[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}

// Character classes of the formats, as bits of a lookup table: one load per
// byte instead of a chain of comparisons, on the hot path of every request.
const (
	classBase62     = 1 << iota // [0-9A-Za-z]
	classLowerAlnum             // [0-9a-z]
)

var classes = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classBase62 | classLowerAlnum
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = classBase62 | classLowerAlnum
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = classBase62
	}
	return t
}()

// isBase62 reports whether s consists only of [0-9A-Za-z].
func isBase62(s string) bool { return allIn(s, classBase62) }

// isLowerAlnum reports whether s consists only of [0-9a-z].
func isLowerAlnum(s string) bool { return allIn(s, classLowerAlnum) }

func allIn(s string, class byte) bool {
	for i := 0; i < len(s); i++ {
		if classes[s[i]]&class == 0 {
			return false
		}
	}
	return true
}
