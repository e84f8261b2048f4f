package notify

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/keygate/keygate"
)

// maxLoggedBody is how much of a receiver's answer is kept in the log.
const maxLoggedBody = 4 << 10

// UserAgent is sent with every webhook; like Paddle's, it contains "Paddle".
const UserAgent = "keygate (Paddle-compatible webhooks)"

// postWebhook POSTs a notification's payload, signed, to url. Any 2xx
// answer within the timeout counts as delivered.
func (d *Dispatcher) postWebhook(ctx context.Context, url, secret string, payload []byte) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return result{body: "invalid destination: " + err.Error(), final: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(SignatureHeader, Sign(secret, d.cfg.Now(), payload))
	resp, err := d.cfg.HTTPClient.Do(req)
	if dialRefused(err) {
		return result{body: keygate.ErrAddressNotAllowed.Error()}
	}
	if err != nil {
		return result{body: "no answer: " + strings.TrimPrefix(err.Error(), "Post \""+url+"\": ")}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxLoggedBody))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // read to the end, so the connection is kept alive
	res := result{delivered: resp.StatusCode >= 200 && resp.StatusCode < 300, code: resp.StatusCode, body: strings.ToValidUTF8(string(body), "")}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		res.contentType = &ct
	}
	return res
}
