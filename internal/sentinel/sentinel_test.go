package sentinel_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pbxkit/pbxkit/internal/sentinel"
)

func TestNew(t *testing.T) {
	broad := sentinel.New("x: unavailable", nil)
	narrow := sentinel.New("x: lost", broad)
	other := sentinel.New("x: unavailable", nil)
	wrapped := fmt.Errorf("op: %w", narrow)
	tests := []struct {
		err, target error
		want        bool
	}{
		{narrow, broad, true},
		{wrapped, broad, true},
		{wrapped, narrow, true},
		{broad, narrow, false},
		{other, broad, false}, // same text, distinct value
		{narrow, other, false},
	}
	for _, tt := range tests {
		if got := errors.Is(tt.err, tt.target); got != tt.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
		}
	}
	if narrow.Error() != "x: lost" {
		t.Errorf("Error() = %q", narrow.Error())
	}
}
