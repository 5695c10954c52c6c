//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package badgerkv

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// probeLock reports whether dir is flocked by another handle, the way Badger
// locks it: exclusively for read-write opens, shared for read-only ones. The
// probe lock is dropped at once.
func probeLock(dir string, readOnly bool) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	how := unix.LOCK_EX | unix.LOCK_NB
	if readOnly {
		how = unix.LOCK_SH | unix.LOCK_NB
	}
	err = unix.Flock(int(f.Fd()), how)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, os.NewSyscallError("flock", err)
	}
	return false, nil
}

// withExclusiveLock runs fn holding an exclusive flock on dir, the lock a
// read-write Badger takes. When another handle holds the lock, fn does not
// run and withExclusiveLock returns nil: Badger's own open reports the
// store as locked.
func withExclusiveLock(dir string, fn func() error) error {
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return nil
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return fn()
}
