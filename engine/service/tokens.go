package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/okrmap/okrmap/engine"
)

// Token roles, each allowing what the one before allows.
const (
	RoleRead  = "read"  // GET
	RoleWrite = "write" // check-ins, measurements, audits
	RoleAdmin = "admin" // plan apply, waivers, tokens
)

// Roles lists the roles, weakest first.
var Roles = []string{RoleRead, RoleWrite, RoleAdmin}

// Allows reports whether role may act with need's rights.
func Allows(role, need string) bool {
	r, n := slices.Index(Roles, role), slices.Index(Roles, need)
	return r >= 0 && n >= 0 && r >= n
}

// tokenPrefix starts every secret, so leaked secrets are easy to find.
const tokenPrefix = "okm_"

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken stores a new API token and returns its secret, which is not
// stored and cannot be shown again. ttl 0 never expires.
func (s *Service) CreateToken(ctx context.Context, name, role string, ttl time.Duration) (string, engine.Token, error) {
	if !engine.ValidKey(name) {
		return "", engine.Token{}, engine.Errorf(engine.EINVALID, "token name %q: use lower-case letters, digits, _ and -", name)
	}
	if !slices.Contains(Roles, role) {
		return "", engine.Token{}, engine.Errorf(engine.EINVALID, "role %q: use read, write or admin", role)
	}
	if ttl < 0 {
		return "", engine.Token{}, engine.Errorf(engine.EINVALID, "expiry %s is in the past", ttl)
	}
	b := make([]byte, 20)
	rand.Read(b)
	secret := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	t := engine.Token{Name: name, Role: role, Hash: hashSecret(secret)}
	if ttl > 0 {
		t.ExpiresAt = s.opt.Now().Add(ttl).UTC()
	}
	if err := s.db.CreateToken(ctx, &t); err != nil {
		return "", t, err
	}
	return secret, t, nil
}

// Tokens lists the tokens, without secrets.
func (s *Service) Tokens(ctx context.Context) ([]engine.Token, error) { return s.db.Tokens(ctx) }

// RevokeToken revokes a token by name; it stops working at once.
func (s *Service) RevokeToken(ctx context.Context, name string) error {
	if err := s.db.RevokeToken(ctx, name); err != nil {
		return err
	}
	s.tokens.Range(func(k, v any) bool {
		if v.(cachedToken).token.Name == name {
			s.tokens.Delete(k)
		}
		return true
	})
	return nil
}

// ErrBadToken is the one answer for a secret that is unknown, revoked or
// expired, so callers learn nothing about which.
var ErrBadToken = engine.Errorf(engine.EINVALID, "the token is unknown, revoked or expired")

// tokenTTL is how long an authenticated token is trusted without reading
// it again: a revocation by another process takes effect within it; one
// through this service at once.
const tokenTTL = 5 * time.Second

type cachedToken struct {
	token engine.Token
	until time.Time
}

// Authenticate returns the token whose secret this is, and records its
// use. Unknown, revoked and expired tokens fail with ErrBadToken.
func (s *Service) Authenticate(ctx context.Context, secret string) (engine.Token, error) {
	return s.authenticateHash(ctx, hashSecret(secret))
}

// authenticateHash is Authenticate by the secret's hash.
func (s *Service) authenticateHash(ctx context.Context, hash string) (engine.Token, error) {
	now := s.opt.Now()
	if v, ok := s.tokens.Load(hash); ok {
		c := v.(cachedToken)
		if now.Before(c.until) && (c.token.ExpiresAt.IsZero() || now.Before(c.token.ExpiresAt)) {
			return c.token, nil
		}
		s.tokens.Delete(hash)
	}
	t, err := s.db.TokenByHash(ctx, hash)
	if engine.ErrorCode(err) == engine.ENOTFOUND {
		return t, ErrBadToken
	}
	if err != nil {
		return t, err
	}
	if subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || !t.RevokedAt.IsZero() ||
		!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return engine.Token{}, ErrBadToken
	}
	// Record use at most once a minute per token, to spare the writer.
	if now.Sub(t.LastUsed) > time.Minute {
		if err := s.db.TouchToken(ctx, t.ID, now); err != nil {
			s.opt.Log.Warn("cannot record a token's use", "token", t.Name, "err", err)
		}
	}
	s.tokens.Store(hash, cachedToken{t, now.Add(tokenTTL)})
	return t, nil
}

// StartSession authenticates secret and stores a dashboard session for it,
// which ends after ttl or when the token expires, whichever is sooner. It
// returns the session's id, the cookie's value: only its hash is stored.
func (s *Service) StartSession(ctx context.Context, secret string, ttl time.Duration) (id string, t engine.Token, expires time.Time, err error) {
	if t, err = s.Authenticate(ctx, secret); err != nil {
		return "", t, expires, err
	}
	expires = s.opt.Now().Add(ttl)
	if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(expires) {
		expires = t.ExpiresAt
	}
	id = rand.Text()
	if err := s.db.AddSession(ctx, hashSecret(id), hashSecret(secret), expires); err != nil {
		return "", t, expires, err
	}
	return id, t, expires, nil
}

// SessionToken returns the token of the session with id; ErrBadToken when
// the session is unknown or ended, or its token no longer authenticates.
func (s *Service) SessionToken(ctx context.Context, id string) (engine.Token, error) {
	hash, _, err := s.db.Session(ctx, hashSecret(id))
	if engine.ErrorCode(err) == engine.ENOTFOUND {
		return engine.Token{}, ErrBadToken
	}
	if err != nil {
		return engine.Token{}, err
	}
	return s.authenticateHash(ctx, hash)
}

// EndSession ends the session with id.
func (s *Service) EndSession(ctx context.Context, id string) error {
	return s.db.RemoveSession(ctx, hashSecret(id))
}

// Secret returns the random key stored under name, the same for every
// server on the database.
func (s *Service) Secret(ctx context.Context, name string) ([]byte, error) {
	return s.db.Secret(ctx, name)
}
