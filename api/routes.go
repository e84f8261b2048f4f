package api

import (
	"net/http"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/api/request"
	"github.com/keygate/keygate/auth"
	"github.com/keygate/keygate/wire"
)

// routes maps the whole API surface. Every route but the probes is rate
// limited, then authenticated with the permission it names ("" when the
// handler decides), then served.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.handle(s.handleHealthz))
	mux.Handle("GET /readyz", s.handle(s.handleReadyz))

	api := func(perm keygate.Permission, h apiFunc) http.Handler {
		return s.limit(s.authenticate(perm, s.handle(queryChecked(h))))
	}
	mux.Handle("GET /event-types", api("", s.handleEventTypes))
	mux.Handle("GET /api-keys", api("api_key.read", s.handleAPIKeysList))
	mux.Handle("GET /api-keys/{api_key_id}", api("", s.handleAPIKeyGet)) // a key may always read itself
	// keygate's extension: Paddle manages keys only in its dashboard.
	mux.Handle("POST /api-keys", api("api_key.write", s.handleAPIKeyCreate))
	mux.Handle("PATCH /api-keys/{api_key_id}", api("api_key.write", s.handleAPIKeyPatch))
	mux.Handle("GET /api-keys/{api_key_id}/exposures", api("api_key.read", s.handleAPIKeyExposures))
	mux.Handle("POST /api-keys/{api_key_id}/rotate", api("api_key.write", s.handleRotate))
	// Rotations: only the key itself, whatever its permissions.
	mux.Handle("POST /api-keys/{api_key_id}/rotations", api("", s.handleRotationCreate))
	mux.Handle("GET /api-keys/{api_key_id}/rotations", api("", s.handleRotationsList))
	mux.Handle("GET /api-keys/{api_key_id}/rotations/{rotation_id}", api("", s.handleRotationGet))

	// Partners: a partner key and its Paddle-PartnerID.
	partner := func(h apiFunc) http.Handler {
		return s.limit(s.authenticateRule(auth.Rule{Partners: true}, s.handle(queryChecked(h))))
	}
	mux.Handle("POST /accounts", partner(s.handleAccountCreate))
	mux.Handle("POST /accounts/validate", partner(s.handleAccountValidate))
	mux.Handle("POST /magic-sessions/authorize", api("", s.handleMagicAuthorize))
	mux.Handle("GET /client-tokens", api("client_token.read", s.handleClientTokensList))
	mux.Handle("POST /client-tokens", api("client_token.write", s.handleClientTokenCreate))
	mux.Handle("GET /client-tokens/{client_token_id}", api("client_token.read", s.handleClientTokenGet))
	mux.Handle("PATCH /client-tokens/{client_token_id}", api("client_token.write", s.handleClientTokenPatch))
	mux.Handle("GET /events", api("notification.read", s.handleEvents))
	// keygate's extension: Paddle has no audit log.
	mux.Handle("GET /audit-log", api("audit_log.read", s.handleAuditLog))
	mux.Handle("GET /notification-settings", api("notification_setting.read", s.handleNotificationSettingsList))
	mux.Handle("POST /notification-settings", api("notification_setting.write", s.handleNotificationSettingCreate))
	mux.Handle("GET /notification-settings/{notification_setting_id}", api("notification_setting.read", s.handleNotificationSettingGet))
	mux.Handle("PATCH /notification-settings/{notification_setting_id}", api("notification_setting.write", s.handleNotificationSettingPatch))
	mux.Handle("DELETE /notification-settings/{notification_setting_id}", api("notification_setting.write", s.handleNotificationSettingDelete))
	mux.Handle("GET /notifications", api("notification.read", s.handleNotificationsList))
	mux.Handle("GET /notifications/{notification_id}", api("notification.read", s.handleNotificationGet))
	mux.Handle("GET /notifications/{notification_id}/logs", api("notification.read", s.handleNotificationLogs))
	mux.Handle("POST /notifications/{notification_id}/replay", api("notification.write", s.handleNotificationReplay))

	// Secret scanning: code hosts report leaked keys. The reporter is
	// authenticated by its own scheme (a signature, a token), not a key.
	mux.Handle("POST /secret-scanning/github", s.handle(s.handleGitHubReport))
	mux.Handle("GET /secret-scanning/gitlab/v1/revocable_token_types", s.handle(s.handleGitLabTypes))
	mux.Handle("POST /secret-scanning/gitlab/v1/revoke_tokens", s.handle(s.handleGitLabRevoke))

	var rest http.Handler = s.handle(func(http.ResponseWriter, *http.Request) error { return errInvalidURL })
	if s.cfg.Gateway != nil {
		rest = s.cfg.Gateway // authenticates by its route map, and refuses routes not in it
	}
	mux.Handle("/", s.limit(rest))
	return s.canonicalPaths(mux)
}

// canonicalPaths refuses (invalid_url) a path that is not canonical (dot
// segments, doubled slashes, encoded slashes) rather than letting the mux
// redirect or match it: the gateway must authorise exactly the path the
// upstream gets.
func (s *Server) canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wire.CanonicalPath(r) {
			s.writeError(w, r, errInvalidURL)
			return
		}

		next.ServeHTTP(w, r)
	})
}

// queryChecked checks the query of keygate's own routes (cursors, filters)
// before h reads it: see request.CheckQuery.
func queryChecked(h apiFunc) apiFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := request.CheckQuery(r.URL.Query()); err != nil {
			return err
		}
		return h(w, r)
	}
}
