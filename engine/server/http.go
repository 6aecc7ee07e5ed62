package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/okrmap/okrmap/engine"
	"github.com/okrmap/okrmap/engine/service"
)

// handler is a route's handler; a returned error is written as a problem.
type handler func(w http.ResponseWriter, r *http.Request) error

// route registers an API pattern for callers whose role allows need (""
// lets anyone in, token or not).
func (s *Server) route(pattern, need string, h handler) {
	s.patterns = append(s.patterns, pattern)
	s.handle(pattern, need, h)
}

// handle is route without listing pattern as part of the API (the
// dashboard's pages).
func (s *Server) handle(pattern, need string, h handler) {
	s.mux.HandleFunc(pattern, s.metrics.observe(pattern, func(w http.ResponseWriter, r *http.Request) {
		if need != "" {
			c := caller(r)
			if c.role == "" {
				s.problem(w, r, errUnauthorized)
				return
			}
			if !service.Allows(c.role, need) {
				s.problem(w, r, forbidden(c.role, need))
				return
			}
		}
		if err := h(w, r); err != nil {
			s.problem(w, r, err)
		}
	}))
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// middleware adds security headers, CORS, authentication, panic recovery
// and the access log.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// same-origin, not no-referrer: under no-referrer browsers send
		// Origin: null with this site's own form posts, which the
		// dashboard must refuse (a sandboxed frame sends it too).
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		var c who
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.problem(sw, r, fmt.Errorf("internal error"))
				}
			}
			// Never the query or headers: they may carry secrets.
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"took", time.Since(start), "who", c.name, "remote", r.RemoteAddr)
		}()
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(s.cfg.CORSOrigins, origin) {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Vary", "Origin")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, If-None-Match")
				h.Set("Access-Control-Max-Age", "600")
				sw.WriteHeader(http.StatusNoContent)
				return
			}
		}
		var err error
		c, err = s.authenticate(r)
		if err != nil {
			s.problem(sw, r, err)
			return
		}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, c)))
	})
}

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string           `json:"type"`
	Title    string           `json:"title"`
	Status   int              `json:"status"`
	Detail   string           `json:"detail"`
	Code     string           `json:"code,omitempty"` // the engine's error code
	Problems []engine.Problem `json:"problems,omitempty"`
}

// problem writes err as problem details.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		s.log.Debug("request cancelled by the client", "method", r.Method, "path", r.URL.Path)
		w.WriteHeader(499)
		return
	}
	status := statusOf(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: err.Error()}
	var ee *engine.Error
	var probs engine.Problems
	if errors.As(err, &ee) || errors.As(err, &probs) {
		p.Code = engine.ErrorCode(err)
	}
	if errors.As(err, &probs) {
		p.Problems = probs
		p.Detail = fmt.Sprintf("%d problem(s) found; nothing was changed", len(probs))
	}
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p.Detail = "internal error; the server log has the details"
	}
	if status == http.StatusRequestEntityTooLarge {
		p.Detail = "the request body is too large"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="okrmap"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// encoded is a JSON answer with its ETag.
type encoded struct {
	body []byte
	etag string
}

func encode(v any) (encoded, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return encoded{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return encoded{buf.Bytes(), `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// writeJSON writes v with status. A GET answered 200 carries a strong ETag
// of its body, and If-None-Match with that ETag is answered 304.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	e, err := encode(v)
	if err != nil {
		return err
	}
	return writeEncoded(w, r, status, e)
}

func writeEncoded(w http.ResponseWriter, r *http.Request, status int, e encoded) error {
	if r.Method == http.MethodGet && status == http.StatusOK {
		w.Header().Set("ETag", e.etag)
		if match := r.Header.Get("If-None-Match"); match != "" && (match == e.etag || match == "*") {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err := w.Write(e.body)
	return err
}

// readJSON decodes the body into v strictly: unknown fields, trailing data
// and bodies over limit are refused.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeJSON(http.MaxBytesReader(w, r.Body, limit), v)
}

// decodeJSON decodes one JSON value strictly; see readJSON. Duplicate
// keys, unknown fields and invalid UTF-8 are refused, and names match
// exactly.
func decodeJSON(body io.Reader, v any) error {
	dec := jsontext.NewDecoder(body)
	if err := jsonv2.UnmarshalDecode(dec, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return badRequest("the request body is empty; send a JSON object")
		}
		return badRequest("the request body is not valid JSON for this route: %v", err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("the request body holds more than one JSON value")
	}
	return nil
}
