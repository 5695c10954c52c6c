//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package badgerkv

// probeLock cannot probe Badger's lock on this platform; classifyOpenError
// falls back to Badger's error message.
func probeLock(string, bool) (bool, error) {
	return false, nil
}
