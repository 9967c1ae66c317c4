// Command gen writes the app icons (PNG) into the web app's static folder.
// Run it with `go generate ./pwa/` after changing package icon.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/multa/multa/pwa/internal/icon"
)

func main() {
	out := flag.String("out", "static/assets/icons", "folder to write the PNGs into")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, f := range icon.Files {
		b, err := icon.PNG(f.Size, f.Maskable)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*out, f.Name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
