// Package waiver checks waivers, reads the waiver files of okrmap versions
// that kept waivers outside the database, and applies waivers to findings.
package waiver

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/okrmap/okrmap/engine"
)

// File is a waiver file.
type File struct {
	Waivers []engine.Waiver `yaml:"waivers"`
}

// Load reads a waiver file; a missing file holds no waivers.
func Load(name string) ([]engine.Waiver, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "cannot read waivers: %v", err)
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && len(bytes.TrimSpace(b)) > 0 {
		return nil, engine.Errorf(engine.EINVALID, "waiver file %s: %v", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	for i, w := range f.Waivers {
		if err := Check(w); err != nil {
			return nil, engine.Errorf(engine.EINVALID, "waiver file %s: waiver %d: %v", name, i+1, err)
		}
	}
	return f.Waivers, nil
}

// Check reports what a waiver lacks.
func Check(w engine.Waiver) error {
	switch {
	case w.Rule == "":
		return errors.New("rule is missing")
	case w.Entity == "":
		return errors.New("entity is missing; use a key or a glob such as legacy-*")
	case strings.TrimSpace(w.Reason) == "":
		return errors.New("reason is missing; say why the finding may stand")
	case w.Until.IsZero():
		return errors.New("until is missing; every waiver expires")
	}
	if _, err := path.Match(w.Entity, ""); err != nil {
		return fmt.Errorf("entity %q is not a valid glob", w.Entity)
	}
	return nil
}

// Apply marks each finding matched by a waiver. A waiver past its Until date
// (before today) still marks the finding, as expired, so reports can say
// the waiver lapsed; the finding counts again.
func Apply(fs []engine.Finding, ws []engine.Waiver, today engine.Date) {
	for i := range fs {
		for _, w := range ws {
			if w.Rule != fs[i].Rule {
				continue
			}
			if ok, _ := path.Match(w.Entity, fs[i].Entity); !ok {
				continue
			}
			w.Expired = w.Until.Before(today)
			fs[i].Waiver = &w
			if !w.Expired {
				break
			}
		}
	}
}
