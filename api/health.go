package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// handleHealthz answers that the process is up.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
	return nil
}

// handleReadyz answers whether this node can serve: the store answers
// within 2 seconds and the verifier follows the change feed. When not, it
// answers 503 with what is wrong, in one line.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	problem := ""
	if err := s.store.Ping(ctx); err != nil {
		problem = "database unreachable: " + err.Error()
	} else if s.verifier != nil {
		problem = s.verifier.Health()
	}
	if problem != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: "+problem)
		return nil
	}
	fmt.Fprintln(w, "ok")
	return nil
}
