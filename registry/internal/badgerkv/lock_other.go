//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerkv

// probeLock cannot probe Badger's lock on this platform; classifyOpenError
// falls back to Badger's error message.
func probeLock(string, bool) (bool, error) {
	return false, nil
}

// withExclusiveLock cannot lock dir on this platform, so it does not run
// fn: without the lock, fn could touch the files of a store another
// process has open.
func withExclusiveLock(string, func() error) error {
	return nil
}
