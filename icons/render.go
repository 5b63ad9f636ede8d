//go:build ignore

// render draws an SVG icon to a PNG with the renderer Fyne itself uses for
// SVG resources (fyne-io/oksvg + rasterx), at twice the size asked, then has
// ImageMagick's /usr/bin/convert scale it down (supersampled edges) and strip
// metadata. ImageMagick 6.9's own SVG renderer (MSVG) cannot draw this
// icon: it paints gradients black, ignores opacity and large-arc flags, and
// closes open paths. Rendering with oksvg also guarantees the PNG looks
// like the SVG does inside the app.
//
//	cd icons && go run render.go app.svg app.png 512
package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: go run render.go SRC.svg DST.png SIZE")
	}
	src, dst := args[0], args[1]
	size, err := strconv.Atoi(args[2])
	if err != nil || size <= 0 {
		return fmt.Errorf("size %q is not a positive number", args[2])
	}

	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	icon, err := oksvg.ReadIconStream(f, oksvg.StrictErrorMode)
	if err != nil {
		return fmt.Errorf("parse %s: %w", src, err)
	}

	big := 2 * size
	icon.SetTarget(0, 0, float64(big), float64(big))
	img := image.NewNRGBA(image.Rect(0, 0, big, big))
	icon.Draw(rasterx.NewDasher(big, big, rasterx.NewScannerGV(big, big, img, img.Bounds())), 1)

	tmp, err := os.MkdirTemp("", "render-icon")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	raw := filepath.Join(tmp, "raw.png")
	out, err := os.Create(raw)
	if err != nil {
		return err
	}
	if err := png.Encode(out, img); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}

	dim := fmt.Sprintf("%dx%d", size, size)
	cmd := exec.Command("/usr/bin/convert", raw, "-filter", "Lanczos", "-resize", dim, "-strip", "PNG32:"+dst)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("/usr/bin/convert: %w", err)
	}
	return nil
}
