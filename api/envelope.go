package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
)

// meta is Paddle's meta object.
type meta struct {
	RequestID  string      `json:"request_id"`
	Pagination *pagination `json:"pagination,omitempty"`
}

// pagination is Paddle's meta.pagination.
type pagination struct {
	PerPage        int    `json:"per_page"`
	Next           string `json:"next"`
	HasMore        bool   `json:"has_more"`
	EstimatedTotal int    `json:"estimated_total"`
}

// dataEnvelope is Paddle's success body.
type dataEnvelope struct {
	Data any  `json:"data"`
	Meta meta `json:"meta"`
}

// writeData writes {"data": data, "meta": {...}} with status.
func (s *Server) writeData(w http.ResponseWriter, r *http.Request, status int, data any) {
	s.writeJSON(w, r, status, dataEnvelope{Data: data, Meta: meta{RequestID: requestID(r)}})
}

// writeList writes a page of a list with its pagination.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, data any, p *pagination) {
	s.writeJSON(w, r, http.StatusOK, dataEnvelope{Data: data, Meta: meta{RequestID: requestID(r), Pagination: p}})
}

// writeJSON writes v as JSON with status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.logger.ErrorContext(r.Context(), "encode response", "request_id", requestID(r), "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"type":"api_error","code":"internal_error","detail":"An internal error has occurred."}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

type requestIDKey struct{}

// RequestIDHeader is the response header that carries meta.request_id.
const RequestIDHeader = "X-Request-Id"

// withRequestID gives the request a new request ID (a random UUID), in its
// context and in the response's RequestIDHeader.
func withRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := uuid.NewString()
	w.Header().Set(RequestIDHeader, id)
	return r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
}

// requestID returns the request's ID.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey{}).(string)
	return id
}
