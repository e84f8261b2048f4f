package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// SignatureHeader is the header of a webhook's signature.
const SignatureHeader = "Paddle-Signature"

// Sign returns the Paddle-Signature of body sent at t with secret (the
// destination's whole endpoint secret key): "ts=<unix seconds>;h1=<hex
// HMAC-SHA256 of "<ts>:<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte(":"))
	mac.Write(body)
	return "ts=" + ts + ";h1=" + hex.EncodeToString(mac.Sum(nil))
}
