package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

// asset is one embedded static file with its content hash, which its URL
// carries so browsers may cache it for good.
type asset struct {
	body []byte
	hash string
	ct   string
}

func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(files, "static", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[path.Base(p)] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ct: mime.TypeByExtension(path.Ext(p))}
		return nil
	})
	return out, err
}

// assetURL is the URL of an embedded file, versioned by its content.
func (d *Dashboard) assetURL(name string) string {
	return "/static/" + name + "?v=" + d.static[name].hash
}

func (d *Dashboard) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := d.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.body)
}
