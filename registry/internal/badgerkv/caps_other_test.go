//go:build !linux

package badgerkv_test

import "testing"

// withoutDACOverride is only implemented on Linux.
func withoutDACOverride(t *testing.T, fn func() error) (error, bool) {
	return nil, false
}
