package mapping

import (
	"fmt"
	"strings"

	"github.com/agentsync/agent/internal/jsonpath"
)

// checkPath rejects paths that cannot be meant: empty, or with an empty
// segment ("a..b", ".a", "a.").
func checkPath(p string) error {
	if p == "" {
		return fmt.Errorf("empty path")
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return fmt.Errorf("path %q has an empty segment", p)
		}
	}
	return nil
}

// isEmpty is the "exists" notion: absent, null, "", [] and {} are empty.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return jsonpath.Stringify(v) == ""
}
