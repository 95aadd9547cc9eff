package tokenboard

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The stylesheet's colors are variables, set once for the light theme (:root), once for the
// dark one ([data-theme="dark"]) and once more for a system in dark mode (the media query).
// These tests read them from static/css/app.css and check WCAG's 4.5:1 contrast for every
// text/background pair the stylesheet lists in its "contrast pairs" comment.

// cssBlock returns the declarations of the first rule whose selector is exactly sel.
func cssBlock(t *testing.T, css, sel string) string {
	t.Helper()
	i := strings.Index(css, sel+" {")
	if i < 0 {
		t.Fatalf("app.css has no %q rule", sel)
	}
	body := css[i+len(sel)+2:]
	return body[:strings.Index(body, "}")]
}

var cssVar = regexp.MustCompile(`--([a-z-]+):\s*([^;]+);`)

// cssVars returns the custom properties declared in a block.
func cssVars(block string) map[string]string {
	vars := map[string]string{}
	for _, m := range cssVar.FindAllStringSubmatch(block, -1) {
		vars[m[1]] = strings.TrimSpace(m[2])
	}
	return vars
}

// luminance is WCAG 2's relative luminance of a #rrggbb color.
func luminance(hex string) (float64, error) {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) != 6 {
		return 0, fmt.Errorf("not a #rrggbb color: %q", hex)
	}
	var lum float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, err := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, err
		}
		c := float64(v) / 255
		if c <= 0.04045 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		lum += weight * c
	}
	return lum, nil
}

// contrast is WCAG 2's contrast ratio of two colors.
func contrast(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

func stylesheet(t *testing.T) string {
	t.Helper()
	css, err := Static.ReadFile("static/css/app.css")
	if err != nil {
		t.Fatal(err)
	}
	return string(css)
}

// contrastPairs reads the "contrast pairs:" comment: fg/bg variable names.
func contrastPairs(t *testing.T, css string) [][2]string {
	t.Helper()
	i := strings.Index(css, "contrast pairs:")
	if i < 0 {
		t.Fatal("app.css lists no contrast pairs")
	}
	list := css[i+len("contrast pairs:"):]
	list = list[:strings.Index(list, "*/")]
	var pairs [][2]string
	for _, f := range strings.Fields(list) {
		fg, bg, ok := strings.Cut(f, "/")
		if !ok {
			t.Fatalf("contrast pair %q is not fg/bg", f)
		}
		pairs = append(pairs, [2]string{fg, bg})
	}
	return pairs
}

func TestEveryTextColorContrastsWithItsBackgroundInBothThemes(t *testing.T) {
	css := stylesheet(t)
	pairs := contrastPairs(t, css)
	if len(pairs) < 15 {
		t.Fatalf("only %d contrast pairs listed", len(pairs))
	}
	themes := map[string]map[string]string{
		"light": cssVars(cssBlock(t, css, ":root")),
		"dark":  cssVars(cssBlock(t, css, `:root[data-theme="dark"]`)),
	}
	for name, vars := range themes {
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("%s theme: --%s or --%s is not set", name, p[0], p[1])
				continue
			}
			ratio, err := contrast(fg, bg)
			if err != nil {
				t.Errorf("%s theme, %s on %s: %v", name, p[0], p[1], err)
				continue
			}
			if ratio < 4.5 {
				t.Errorf("%s theme: --%s %s on --%s %s is %.2f:1, below 4.5:1", name, p[0], fg, p[1], bg, ratio)
			}
		}
	}
}

// TestTheSystemDarkModeIsTheDarkTheme: the media query's block repeats the dark theme
// (plain CSS cannot share it); the two must not drift apart.
func TestTheSystemDarkModeIsTheDarkTheme(t *testing.T) {
	css := stylesheet(t)
	dark := cssVars(cssBlock(t, css, `:root[data-theme="dark"]`))
	system := cssVars(cssBlock(t, css, `:root:not([data-theme="light"])`))
	if len(dark) == 0 || fmt.Sprint(dark) != fmt.Sprint(system) {
		t.Errorf("the dark theme and the system's dark mode differ:\n%v\n%v", dark, system)
	}
	light := cssVars(cssBlock(t, css, ":root"))
	for name := range light {
		if _, ok := dark[name]; !ok && !strings.HasPrefix(name, "font") && name != "mono" && name != "radius" {
			t.Errorf("--%s has no dark value", name)
		}
	}
}

func TestContrastIsWCAGs(t *testing.T) {
	// Black on white is 21:1, a color on itself 1:1 (WCAG 2.x definition).
	if r, _ := contrast("#000000", "#ffffff"); math.Abs(r-21) > 0.01 {
		t.Errorf("black on white: %.2f", r)
	}
	if r, _ := contrast("#6c5fc7", "#6c5fc7"); r != 1 {
		t.Errorf("same color: %.2f", r)
	}
}
