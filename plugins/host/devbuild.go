package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// IsSource reports whether path is a directory of Go source to build a
// plugin from, rather than a plugin binary.
func IsSource(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// BuildDev builds the plugin whose Go source is in dir (its main package)
// into cache, named okrmap-plugin-<name>, and returns the binary's path.
// It builds every time: the Go build cache makes that quick when nothing
// changed, and sees changes outside dir (a replaced SDK) that a hash of dir
// would miss. The Go toolchain must be on PATH; its output is in the error
// when the build fails.
func BuildDev(ctx context.Context, dir, name, cache string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	where := sha256.Sum256([]byte(abs))
	out := filepath.Join(cache, name+"-"+hex.EncodeToString(where[:6]), "okrmap-plugin-"+name)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("building the plugin in %s needs the Go toolchain on PATH: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	// Built beside the final name and renamed: a failed or interrupted
	// build leaves the last good binary, or none.
	tmp := out + ".building"
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", tmp, ".")
	cmd.Dir = abs
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build in %s failed: %w\n%s", dir, err, strings.TrimSpace(string(msg)))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}
