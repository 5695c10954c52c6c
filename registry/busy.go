package registry

import "time"

// BusyError is a read the store cannot answer now without more work than
// a request may cost (such as while an index is being built); the caller
// may try again after RetryAfter.
type BusyError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *BusyError) Error() string { return e.Reason }
