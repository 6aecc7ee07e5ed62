package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// storageError says plainly when err comes from the disk under path: it is
// full, read-only, or not writable by this user. Any other error is
// returned as it is.
func storageError(path string, err error) error {
	if err == nil {
		return nil
	}
	full := errors.Is(err, syscall.ENOSPC)
	readOnly := errors.Is(err, syscall.EROFS)
	denied := errors.Is(err, fs.ErrPermission)
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull:
			full = true
		case sqlite3.ErrReadonly:
			readOnly = true
		case sqlite3.ErrPerm, sqlite3.ErrAuth:
			denied = true
		case sqlite3.ErrCantOpen, sqlite3.ErrIoErr:
			if werr := writable(filepath.Dir(path)); werr != nil {
				return fmt.Errorf("okrmap cannot write in %s, where the database and its -wal and -shm files live (%v): make it writable, or choose another --db: %w",
					filepath.Dir(path), werr, err)
			}
		}
	}
	switch {
	case full:
		return fmt.Errorf("the disk holding %s is full; free some space and run the command again (the failed write changed nothing): %w", path, err)
	case readOnly:
		return fmt.Errorf("%s (or its directory) is read-only; okrmap writes the database and its -wal and -shm files beside it: %w", path, err)
	case denied:
		return fmt.Errorf("permission denied on %s or its directory: run okrmap as the database's owner, or fix the permissions: %w", path, err)
	}
	return err
}

// writable checks that a file can be created in dir.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".okrmap-write-check-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}
