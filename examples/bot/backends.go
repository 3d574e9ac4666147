package main

// The backends this program can reach: every one pbxkit has.
import _ "github.com/pbxkit/pbxkit/examples/internal/backends"
