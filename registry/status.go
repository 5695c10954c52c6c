package registry

// DiskSize returns the bytes of the store's LSM tree and value log as
// Badger last measured them (at open and about once a minute after); it
// reads no file. ok is false for a store that cannot tell.
func (s *Store) DiskSize() (lsm, vlog int64, ok bool) {
	sz, ok := s.be.(sizer)
	if !ok {
		return 0, 0, false
	}
	lsm, vlog = sz.Size()
	return lsm, vlog, true
}
