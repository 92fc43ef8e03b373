package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/agentsync/agent/vendors"
)

// manualSchedule is the schedule of a push-only integration.
const manualSchedule = "manual"

// Schema is one [[schema]] table: a JSON Schema (draft 2020-12 unless the
// file's $schema says otherwise) that the records pushed to an ingest
// integration must satisfy.
type Schema struct {
	Name string `toml:"name"`
	File string `toml:"file"` // absolute after Load

	Compiled *jsonschema.Schema `toml:"-"` // filled by Load
}

// maxSchemaFile bounds a schema file: a schema is kilobytes.
const maxSchemaFile = 4 << 20

// Schema returns the [[schema]] called name.
func (c *Config) Schema(name string) (*Schema, bool) {
	for _, s := range c.Schemas {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// validateSchemas checks each [[schema]], compiles its file, and checks the
// integrations' schema keys.
func validateSchemas(cfg *Config, r *reporter) {
	seen := map[string]path{}
	var names []string
	for i, s := range cfg.Schemas {
		p := path{"schema", idx(i)}
		switch {
		case s.Name == "":
			r.report(p, "schema.name is required")
		case !validName.MatchString(s.Name):
			r.report(p.with("name"), "schema.name %s must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", q(s.Name))
		default:
			if first, dup := seen[s.Name]; dup {
				r.report(p.with("name"), "schema.name %s is already used by the schema at line %d", q(s.Name), r.ix.pos(first).Line)
			} else {
				seen[s.Name] = p.with("name")
				names = append(names, s.Name)
			}
		}
		if s.File == "" {
			r.report(p, "schema.file is required: the JSON Schema file (relative to the config file's folder)")
			continue
		}
		written := s.File
		s.File = resolve(cfg.Dir, s.File)
		sch, err := CompileSchema(s.File)
		if err != nil {
			r.report(p.with("file"), "schema.file %s: %v", q(written), err)
			continue
		}
		s.Compiled = sch
	}
	for i, in := range cfg.Integrations {
		p := path{"integration", idx(i)}
		v, known := vendors.Describe(in.Vendor)
		switch {
		case in.Schema == "" && known && v.Push:
			r.report(p, "integration.schema is required for vendor %s: the name of the [[schema]] pushed records must satisfy", q(in.Vendor))
		case in.Schema == "":
		case known && !v.Push:
			r.report(p.with("schema"), "integration.schema is only read when vendor = \"ingest\"")
		default:
			if _, ok := cfg.Schema(in.Schema); !ok {
				r.report(p.with("schema"), "integration.schema: no [[schema]] is named %s%s", q(in.Schema), suggest(in.Schema, names))
			}
		}
	}
}

// CompileSchema reads and compiles the JSON Schema file at path. The
// schema may not reference other files or URLs: it is read alone.
func CompileSchema(path string) (*jsonschema.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) > maxSchemaFile {
		return nil, fmt.Errorf("%d bytes is over the %d-byte limit of a schema file", len(data), maxSchemaFile)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	const url = "file:///schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("not a valid JSON Schema: %s", compileMessage(err, url))
	}
	return sch, nil
}

// compileMessage is one line for a compile error: for a schema the
// metaschema refuses, where and why, from the first innermost cause.
func compileMessage(err error, url string) string {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		for len(ve.Causes) > 0 {
			ve = ve.Causes[0]
		}
		return fmt.Sprintf("at %q: %s", "/"+strings.Join(ve.InstanceLocation, "/"), ve.ErrorKind.LocalizedString(printer))
	}
	msg := strings.ReplaceAll(err.Error(), url, "the file")
	return strings.Join(strings.Fields(msg), " ")
}

var printer = message.NewPrinter(language.English)

// noLoader refuses every reference out of the schema file.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("references to other documents (%s) are not supported: keep the schema in one file", url)
}
