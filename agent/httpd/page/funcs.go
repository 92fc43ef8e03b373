package page

import (
	"html/template"
	"net/url"
	"strings"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"pathEscape": url.PathEscape,
	"join":       strings.Join,
}
