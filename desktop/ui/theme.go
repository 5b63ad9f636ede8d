package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is the window's theme: Fyne's default with a few colours made
// legible. Fyne draws LowImportance labels — the views' secondary text:
// captions, hints, sizes, empty states — and form hints in its "disabled"
// colour, about 1.3:1 against the background in both variants; here it is
// about 3.5:1 (light) and 5:1 (dark), still plainly dimmer than text. On
// the light background Fyne's success green (1.6:1) and warning orange
// (2.2:1) are too pale for text such as a job's outcome, and its input
// border leaves an unticked box almost invisible. desktop/main.go sets it
// on the app; the tests keep Fyne's test theme.
func Theme() fyne.Theme { return legibleTheme{} }

type legibleTheme struct{}

var (
	legibleDisabled    = map[fyne.ThemeVariant]color.Color{theme.VariantLight: color.NRGBA{0x88, 0x88, 0x88, 0xff}, theme.VariantDark: color.NRGBA{0x8c, 0x8c, 0x8e, 0xff}}
	legibleSuccess     = color.NRGBA{0x2e, 0x8b, 0x32, 0xff} // light only
	legibleWarning     = color.NRGBA{0xc2, 0x5e, 0x00, 0xff} // light only
	legibleInputBorder = color.NRGBA{0xc4, 0xc4, 0xc4, 0xff} // light only
)

func (legibleTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameDisabled:
		if c, ok := legibleDisabled[v]; ok {
			return c
		}
	case theme.ColorNameSuccess:
		if v == theme.VariantLight {
			return legibleSuccess
		}
	case theme.ColorNameWarning:
		if v == theme.VariantLight {
			return legibleWarning
		}
	case theme.ColorNameInputBorder:
		if v == theme.VariantLight {
			return legibleInputBorder
		}
	}
	return theme.DefaultTheme().Color(n, v)
}

func (legibleTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }
func (legibleTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return theme.DefaultTheme().Icon(n)
}
func (legibleTheme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }
