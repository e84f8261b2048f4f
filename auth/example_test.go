package auth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/app"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/sqlite"
)

// A Go service protects its handlers with keygate's verifier, without a
// network hop, and reads who called from the request's context. The store
// is keygate's own: here a SQLite file; in production, the PostgreSQL
// database keygate's nodes share (postgres.Open).
func ExampleVerifier_Require() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "keygate-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	if err != nil {
		panic(err)
	}
	defer store.Close()

	verifier := auth.New(auth.Config{Store: store})
	go verifier.Run(ctx) // follows changes (revocations elsewhere) and writes last uses

	mux := http.NewServeMux()
	products := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "products for %s", p.AccountID[:4])
	})
	mux.Handle("GET /products", verifier.Require(keygate.Live, "product.read")(products))

	// A key, as keygate's CLI or API would make it.
	svc := app.New(store)
	acc, _ := svc.CreateAccount(ctx, keygate.AccountCreate{Environment: keygate.Live, Name: "Acme"})
	_, token, _ := svc.CreateAPIKey(ctx, app.OperatorScope(), acc.ID, keygate.APIKeyCreate{Name: "shop", Permissions: []keygate.Permission{"product.read"}})

	for _, header := range []string{"Bearer " + token, "Bearer pdl_live_apikey_forged", ""} {
		req := httptest.NewRequest("GET", "/products", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(rec.Code, firstLine(rec.Body.String()))
	}
	// Output:
	// 200 products for acc_
	// 403 {"error":{"type":"request_error","code":"invalid_token","detail":"Invalid or revoked API key.","documentation_url":"https://developer.paddle.com/errors/shared/invalid_token"},"meta":{"request_id":"…"}}
	// 403 {"error":{"type":"request_error","code":"authentication_missing","detail":"Authentication header missing.","documentation_url":"https://developer.paddle.com/errors/shared/authentication_missing"},"meta":{"request_id":"…"}}
}

// firstLine returns s's first line with the random request ID elided.
func firstLine(s string) string {
	for i := range s {
		if s[i] == '\n' {
			s = s[:i]
			break
		}
	}
	const key = `"request_id":"`
	for i := 0; i+len(key) < len(s); i++ {
		if s[i:i+len(key)] == key {
			return s[:i+len(key)] + "…" + `"}}`
		}
	}
	return s
}
