package pbx

import (
	"context"
	"crypto/rand"
	"slices"
	"time"
)

// ExtensionService manages extensions. Get it from [Client.Extensions]; it is
// safe for concurrent use.
type ExtensionService struct{ c *Client }

func (s *ExtensionService) backend() ExtensionBackend { return s.c.b.(ExtensionBackend) }

// List returns every extension, ordered by number, without secrets.
func (s *ExtensionService) List(ctx context.Context) ([]Extension, error) {
	r := request{op: "Extensions.List", need: CapExtensionsRead, read: true}
	exts, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Extension, error) {
		return s.backend().ListExtensions(ctx)
	})
	for i := range exts {
		exts[i].Secret = ""
	}
	slices.SortFunc(exts, func(a, b Extension) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(exts, err)
}

// Get returns one extension without its secret. It fails with ErrNotFound if
// the extension does not exist.
func (s *ExtensionService) Get(ctx context.Context, id ExtensionID) (*Extension, error) {
	r := request{op: "Extensions.Get", id: string(id), need: CapExtensionsRead, read: true}
	e, err := run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Extension, error) {
		return s.backend().GetExtension(ctx, id)
	})
	if e != nil {
		e.Secret = ""
	}
	return e, err
}

// Create creates an extension and returns it as stored, with the secret that
// was set: e.Secret, or a new random one if e.Secret is empty. This is the
// only time the secret is returned, apart from RevealSecret. It fails with
// ErrAlreadyExists if the number is taken.
func (s *ExtensionService) Create(ctx context.Context, e Extension) (*Extension, string, error) {
	r := request{op: "Extensions.Create", id: string(e.ID), need: CapExtensionsWrite}
	if e.Secret == "" {
		e.Secret = Secret(NewSecret())
	}
	secret := string(e.Secret)
	created, err := run(ctx, s.c, r, validateExtension(&e), func(ctx context.Context) (*Extension, error) {
		if err := s.backend().CreateExtension(ctx, &e); err != nil {
			return nil, err
		}
		return s.backend().GetExtension(ctx, e.ID)
	})
	if err != nil {
		return nil, "", err
	}
	created.Secret = ""
	return created, secret, nil
}

// Update replaces an extension's settings with e's. An empty e.Secret keeps
// the current secret, and a zero e.Tech or empty e.Context keeps the current
// technology or context; every other field is replaced, zero values included
// (read the extension first to change one field). It fails with ErrNotFound
// if the extension does not exist.
func (s *ExtensionService) Update(ctx context.Context, e Extension) (*Extension, error) {
	r := request{op: "Extensions.Update", id: string(e.ID), need: CapExtensionsWrite}
	updated, err := run(ctx, s.c, r, validateExtension(&e), func(ctx context.Context) (*Extension, error) {
		if err := s.backend().UpdateExtension(ctx, &e); err != nil {
			return nil, err
		}
		return s.backend().GetExtension(ctx, e.ID)
	})
	if updated != nil {
		updated.Secret = ""
	}
	return updated, err
}

// Delete deletes an extension, or fails with ErrNotFound.
func (s *ExtensionService) Delete(ctx context.Context, id ExtensionID) error {
	r := request{op: "Extensions.Delete", id: string(id), need: CapExtensionsWrite}
	return exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.backend().DeleteExtension(ctx, id)
	})
}

// ResetSecret gives the extension's device a new random secret and returns
// it. The secret cannot be read back later except through RevealSecret, where
// the backend supports it.
func (s *ExtensionService) ResetSecret(ctx context.Context, id ExtensionID) (string, error) {
	r := request{op: "Extensions.ResetSecret", id: string(id), need: CapSecretReset}
	secret := NewSecret()
	err := exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.backend().SetSecret(ctx, id, secret)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// RevealSecret returns the extension's current secret. Reads never return
// secrets; this explicit call is the only way.
func (s *ExtensionService) RevealSecret(ctx context.Context, id ExtensionID) (string, error) {
	r := request{op: "Extensions.RevealSecret", id: string(id), need: CapSecretReveal, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (string, error) {
		return s.backend().RevealSecret(ctx, id)
	})
}

// NewSecret returns a random secret of 26 upper-case letters and digits
// (128 bits, from crypto/rand), which every PBX's configuration syntax accepts.
func NewSecret() string { return rand.Text() }

func validateExtension(e *Extension) error {
	err := firstErr(
		e.ID.Validate(),
		ValidateText("extension name", e.Name, 128),
		ValidateText("outbound caller ID", e.OutboundCallerID, 128),
		ValidateText("no-answer destination", e.NoAnswerDestination, 128),
		ValidateText("secret", string(e.Secret), 128),
	)
	if err != nil {
		return err
	}
	if e.Context != "" {
		if err := ValidateContext(e.Context); err != nil {
			return err
		}
	}
	if e.Mailbox != "" {
		if err := e.Mailbox.Validate(); err != nil {
			return err
		}
	}
	if e.RingTime < 0 || e.RingTime > 10*time.Minute {
		return invalidf("ring time %v out of range 0..10m", e.RingTime)
	}
	if e.Tech < TechUnknown || e.Tech > TechVirtual {
		return invalidf("unknown technology %d", int(e.Tech))
	}
	for _, c := range string(e.Secret) {
		if c == ' ' || c == '"' || c == ';' || c == '\\' {
			return invalidf("secret contains %q, which configuration files cannot hold", c)
		}
	}
	return nil
}

// compareNumbers orders digit strings numerically, then lexically.
func compareNumbers(a, b string) int {
	if len(a) != len(b) && allDigits(a) && allDigits(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
