package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/keygate/keygate"
	"github.com/keygate/keygate/secretscan"
	"github.com/keygate/keygate/wire"
)

// MaxReportBytes bounds a secret-scanning report's body: a thousand tokens
// with their URLs fit many times over.
const MaxReportBytes = 2 << 20

var errReportTooLarge = keygate.Errorf(keygate.CodeBadRequest, "The report is larger than 2 MiB; send it in parts.")

// readReport reads a report's raw body, refusing one over MaxReportBytes.
func readReport(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxReportBytes {
		return nil, errReportTooLarge
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxReportBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errReportTooLarge
	} else if err != nil {
		return nil, keygate.Errorf(keygate.CodeBadRequest, "The report's body could not be read.")
	}
	return b, nil
}

// decodeReport decodes a JSON array of reported tokens.
func decodeReport[T any](b []byte) ([]T, error) {
	var list []T
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&list); err != nil || list == nil {
		return nil, keygate.Errorf(keygate.CodeBadRequest, "The report must be a JSON array of tokens.")
	}
	if dec.More() {
		return nil, keygate.Errorf(keygate.CodeBadRequest, "The report must hold one JSON array.")
	}
	return list, nil
}

// handleGitHubReport serves POST /secret-scanning/github, GitHub's
// secret-scanning partner protocol: the raw body must be signed by one of
// GitHub's published keys; every token is answered true_positive (a key of
// this deployment, active, revoked or expired) or false_positive.
func (s *Server) handleGitHubReport(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.GitHubKeys == nil {
		return errInvalidURL
	}
	body, err := readReport(w, r)
	if err != nil {
		return err
	}
	err = s.cfg.GitHubKeys.Verify(r.Context(), r.Header.Get(secretscan.HeaderKeyIdentifier), r.Header.Get(secretscan.HeaderKeySignature), body)
	switch {
	case errors.Is(err, secretscan.ErrUnsigned), errors.Is(err, secretscan.ErrUnknownKey), errors.Is(err, secretscan.ErrBadSignature):
		return &keygate.Error{Code: wire.CodeUnauthorized, Message: "Report refused: " + err.Error() + "."}
	case err != nil:
		return &keygate.Error{Code: keygate.CodeInternal, Message: "Internal error.", Err: err}
	}
	matches, err := decodeReport[secretscan.GitHubMatch](body)
	if err != nil {
		return err
	}
	reports := make([]keygate.ExposureReport, len(matches))
	for i, m := range matches {
		desc := "Reported by GitHub secret scanning"
		if m.Source != "" {
			desc += " (" + m.Source + ")"
		}
		reports[i] = keygate.ExposureReport{Token: m.Token, Source: keygate.SourceGitHub, Reference: m.URL, Description: desc}
	}
	outcomes, err := s.svc.ReportExposures(r.Context(), reports)
	if err != nil {
		return err
	}
	feedback := make([]secretscan.GitHubFeedback, len(matches))
	for i, m := range matches {
		feedback[i] = secretscan.Feedback(m, outcomes[i].Known)
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(feedback)
}

// gitlabAuthorized reports whether r carries the operator's revocation
// token, alone or after "Bearer ", compared in constant time.
func (s *Server) gitlabAuthorized(r *http.Request) bool {
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.GitLabToken)) == 1
}

// gitlabCheck refuses a GitLab request when the endpoint is off or the
// token is wrong.
func (s *Server) gitlabCheck(r *http.Request) error {
	if s.cfg.GitLabToken == "" {
		return errInvalidURL
	}
	if !s.gitlabAuthorized(r) {
		return &keygate.Error{Code: wire.CodeUnauthorized, Message: "Request refused: the Authorization header does not carry the revocation token configured in KEYGATE_GITLAB_REVOCATION_TOKEN."}
	}
	return nil
}

// handleGitLabTypes serves GET /secret-scanning/gitlab/v1/revocable_token_types.
func (s *Server) handleGitLabTypes(w http.ResponseWriter, r *http.Request) error {
	if err := s.gitlabCheck(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string][]string{"types": secretscan.GitLabTokenTypes})
}

// handleGitLabRevoke serves POST /secret-scanning/gitlab/v1/revoke_tokens:
// the same outcomes as a GitHub report, answered 204.
func (s *Server) handleGitLabRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.gitlabCheck(r); err != nil {
		return err
	}
	body, err := readReport(w, r)
	if err != nil {
		return err
	}
	leaks, err := decodeReport[secretscan.GitLabLeak](body)
	if err != nil {
		return err
	}
	reports := make([]keygate.ExposureReport, len(leaks))
	for i, l := range leaks {
		reports[i] = keygate.ExposureReport{Token: l.Token, Source: keygate.SourceGitLab, Reference: l.Location, Description: "Reported by GitLab secret detection"}
	}
	if _, err := s.svc.ReportExposures(r.Context(), reports); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIKeyExposures lists a key's exposures (keygate's extension;
// Paddle shows them only in its dashboard), with Paddle's list
// conventions: after, per_page, order_by and Skip-Count.
func (s *Server) handleAPIKeyExposures(w http.ResponseWriter, r *http.Request) error {
	id, err := apiKeyID(r)
	if err != nil {
		return err
	}
	page, err := parsePage(r)
	if err != nil {
		return err
	}
	list, total, err := s.svc.ListAPIKeyExposures(r.Context(), scope(r), keygate.APIKeyExposureFilter{APIKeyID: id, Page: page})
	if err != nil {
		return err
	}
	n, p := s.finishPage(r, page, len(list), func(i int) string { return list[i].ID }, total)
	out := make([]*wire.APIKeyExposure, n)
	for i := range out {
		out[i] = wire.NewAPIKeyExposure(list[i])
	}
	s.writeList(w, r, out, p)
	return nil
}
