package badgerkv_test

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// withoutDACOverride runs fn on a dedicated OS thread whose effective
// capabilities lack CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER, so
// that file modes apply even to root. Capabilities are per thread on Linux;
// the goroutine never unlocks its thread, so Go discards the thread when fn
// returns and no other goroutine ever runs with the reduced set. ok is false
// when the capabilities cannot be changed.
func withoutDACOverride(t *testing.T, fn func() error) (err error, ok bool) {
	t.Helper()
	type result struct {
		err error
		ok  bool
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			t.Logf("capget: %v", err)
			done <- result{}
			return
		}
		for _, c := range []uint{unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH, unix.CAP_FOWNER} {
			data[c/32].Effective &^= 1 << (c % 32)
		}
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Logf("capset: %v", err)
			done <- result{}
			return
		}
		done <- result{err: fn(), ok: true}
	}()
	r := <-done
	return r.err, r.ok
}
