// Package sentinel makes the transports' sentinel errors: distinct values,
// compared with errors.Is, of which one may also match a broader one (so
// that errors.Is(ErrDisconnected, ErrUnavailable) holds).
package sentinel

// New returns a sentinel error with message msg that also matches parent
// under errors.Is (parent may be nil).
func New(msg string, parent error) error { return &kind{msg: msg, parent: parent} }

type kind struct {
	msg    string
	parent error
}

func (e *kind) Error() string { return e.msg }

func (e *kind) Is(target error) bool { return e.parent != nil && target == e.parent }
