package freeswitch_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: every
// client's goroutines end when it is closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
