package manifest

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
)

// templateExpr matches a {{ name }} placeholder; it is compiled on first
// use, since every gophene process would otherwise pay for it at start-up.
var templateExpr = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)
})

// Render fills a manifest template: "{{ name }}" takes a value from vars
// (gophene manifest -D name=value) and "{{ env.NAME }}" from the
// environment. Gramine's "{{ gramine.libos }}" names its LibOS binary, which
// Gophene does not need; it renders as "libsysdb.so" so that Gramine
// templates work unchanged. An unknown name is an error.
func Render(name, text string, vars map[string]string) (string, error) {
	var missing string
	out := templateExpr().ReplaceAllStringFunc(text, func(m string) string {
		key := templateExpr().FindStringSubmatch(m)[1]
		switch {
		case strings.HasPrefix(key, "env."):
			return os.Getenv(strings.TrimPrefix(key, "env."))
		case key == "gramine.libos":
			return "libsysdb.so"
		}
		if v, ok := vars[key]; ok {
			return v
		}
		if missing == "" {
			missing = key
		}
		return m
	})
	if missing != "" {
		return "", fmt.Errorf("%s: template variable %q is not defined (use -D %s=value)", name, missing, missing)
	}
	if strings.Contains(out, "{%") {
		return "", fmt.Errorf("%s: template statements ({%% ... %%}) are not supported", name)
	}
	return out, nil
}
