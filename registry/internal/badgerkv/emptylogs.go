package badgerkv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// emptyLogs lists the zero-length memtable write-ahead logs (.mem) and
// value logs (.vlog) in dir.
//
// Badger creates such a file, then sizes it and writes its header; a
// process killed between the two leaves it empty. Nothing was ever written
// to it, so it holds no acknowledged write, but Badger v4.9 cannot open a
// store that has one: it sizes the file and then takes its own "Create a
// new file" signal for an error (dgraph-io/badger#2207), read-write or
// read-only alike.
func emptyLogs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open badger store at %s: list its files: %w", dir, err)
	}
	var empty []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !(strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")) {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open badger store at %s: %w", dir, err)
		}
		if fi.Size() == 0 {
			empty = append(empty, name)
		}
	}
	return empty, nil
}

// removeEmptyLogs removes the files emptyLogs finds in dir, holding
// Badger's directory lock while it does, so that it never touches the
// files of a store another process has open (that open then fails as
// locked, as it would have). It returns the names it removed.
func removeEmptyLogs(dir string) ([]string, error) {
	var removed []string
	err := withExclusiveLock(dir, func() error {
		empty, err := emptyLogs(dir)
		if err != nil {
			return err
		}
		for _, name := range empty {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("open badger store at %s: remove %s, an empty log a crash left: %w", dir, name, err)
			}
			removed = append(removed, name)
		}
		if len(removed) > 0 {
			return syncDir(dir)
		}
		return nil
	})
	return removed, err
}

// checkNoEmptyLogs refuses, with a message saying how to repair it, a
// read-only open of a store that holds an empty log: a read-only open
// must not change the store, and Badger cannot open it as it is.
func checkNoEmptyLogs(dir string) error {
	empty, err := emptyLogs(dir)
	if err != nil || len(empty) == 0 {
		return err
	}
	return fmt.Errorf("open badger store at %s read-only: it holds %s, an empty log left by a process killed while creating it, "+
		"which Badger cannot open; open the store once read-write (for example `credreg serve`), which removes it", dir, strings.Join(empty, ", "))
}

// syncDir fsyncs the directory dir, so that removals in it are durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open badger store at %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("open badger store at %s: sync the directory: %w", dir, err)
	}
	return nil
}
