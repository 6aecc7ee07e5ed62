package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxBinary bounds a plugin binary read into memory to be verified.
const maxBinary = 1 << 30

// verifiedCopy reads the plugin binary once, checks those bytes against
// the pinned checksum, and writes them to a private directory (0700) from
// which they are started: no swap of the file at s.Path between the check
// and the start can run code that was not verified. cleanup removes the
// copy.
func verifiedCopy(s Spec) (path string, cleanup func(), err error) {
	src, err := filepath.EvalSymlinks(s.Path)
	if err != nil {
		return "", nil, fmt.Errorf("plugin %s: %w; re-pin it with okrmap plugins lock %s", s.Name, err, s.Name)
	}
	if err := CheckPrivate(filepath.Dir(src), "plugin directory"); err != nil {
		return "", nil, err
	}
	f, err := os.Open(src)
	if err != nil {
		return "", nil, fmt.Errorf("plugin %s: %w", s.Name, err)
	}
	defer f.Close()
	if err := checkPrivateFile(f, src, "plugin binary"); err != nil {
		return "", nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxBinary+1))
	if err != nil {
		return "", nil, fmt.Errorf("plugin %s: %w", s.Name, err)
	}
	if len(b) > maxBinary {
		return "", nil, fmt.Errorf("plugin %s: %s is larger than %d MiB", s.Name, src, maxBinary>>20)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != strings.ToLower(s.SHA256) {
		return "", nil, changedError(Locked{Name: s.Name, Path: s.Path, SHA256: s.SHA256}, got)
	}
	dir, err := os.MkdirTemp("", "okrmap-plugin-run-")
	if err != nil {
		return "", nil, fmt.Errorf("plugin %s: a private copy to run: %w", s.Name, err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(path, b, 0o700); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("plugin %s: a private copy to run: %w", s.Name, err)
	}
	return path, cleanup, nil
}

// CheckPrivate refuses a plugin directory, binary or lock file that others
// may write (as ssh's StrictModes does): whoever can write it can make
// okrmap run their code.
func CheckPrivate(path, what string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return modeError(path, what, info)
}

func checkPrivateFile(f *os.File, path, what string) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s %s is not a regular file", what, path)
	}
	return modeError(path, what, info)
}

func modeError(path, what string, info os.FileInfo) error {
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		who := "its group"
		if perm&0o002 != 0 {
			who = "everyone"
		}
		return fmt.Errorf("%s %s is writable by %s (mode %04o), so anyone there could make okrmap run their code; fix it with chmod go-w %s",
			what, path, who, perm, path)
	}
	if uid, ok := owner(info); ok && uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%s %s belongs to user %d, not to you or root; whoever owns it could make okrmap run their code", what, path, uid)
	}
	return nil
}

// within reports whether path lies inside dir (both resolved).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// lineCap bounds one line of a plugin's output kept for the log.
const lineCap = 64 << 10
