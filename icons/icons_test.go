package icons

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"
)

func TestAppPNGIs512Square(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(App.Content()))
	if err != nil {
		t.Fatalf("app.png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Fatalf("app.png is %v, want 512×512", b.Size())
	}
	if _, _, _, a := img.At(4, 4).RGBA(); a != 0 {
		t.Error("app.png's corner should be transparent (a rounded tile)")
	}
	if _, _, _, a := img.At(256, 256).RGBA(); a != 0xffff {
		t.Error("app.png's centre should be opaque")
	}
}

// Every SVG parses strictly with the renderer Fyne uses and draws
// something opaque at its centre.
func TestSVGsRenderWithFynesRenderer(t *testing.T) {
	all := map[string]fyne.Resource{"app": AppSVG}
	for name, r := range Status {
		all[name] = r
	}
	for name, r := range all {
		t.Run(name, func(t *testing.T) {
			if len(r.Content()) == 0 {
				t.Fatal("empty resource")
			}
			icon, err := oksvg.ReadIconStream(bytes.NewReader(r.Content()), oksvg.StrictErrorMode)
			if err != nil {
				t.Fatalf("%s does not parse: %v", r.Name(), err)
			}
			const size = 48
			icon.SetTarget(0, 0, size, size)
			img := image.NewNRGBA(image.Rect(0, 0, size, size))
			icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
			edge := img.NRGBAAt(size/2-size*7/24, size/2) // on the ring of the offline icon, inside every other
			centre := img.NRGBAAt(size/2, size/2)
			if centre.A == 0 && edge.A == 0 {
				t.Errorf("%s renders nothing where it should draw", r.Name())
			}
			if centre == (color.NRGBA{}) && name != "offline" {
				t.Errorf("%s is transparent at its centre", r.Name())
			}
		})
	}
}

func TestStatusIconsAreComplete(t *testing.T) {
	for _, name := range []string{"online", "offline", "pending", "failed", "running"} {
		r, ok := Status[name]
		if !ok || r.Name() != name+".svg" {
			t.Errorf("Status[%q] = %v, want the resource %s.svg", name, r, name)
		}
	}
}
