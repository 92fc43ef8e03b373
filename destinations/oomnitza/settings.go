package oomnitza

import (
	"maps"
	"slices"
	"strings"

	"github.com/agentsync/agent/destinations"
	"github.com/agentsync/agent/mapping"
)

// Settings are the Oomnitza keys of [[destination]] (DESIGN.md,
// "Destinations"). The zero values of Mapping and Status mean the
// defaults.
type Settings struct {
	// SyncField lists the Oomnitza fields that identify a person.
	SyncField []string `toml:"sync_field"`
	// Mapping is Oomnitza field = our field, merged key by key over
	// DefaultMapping; a key set to "" removes it.
	Mapping map[string]string `toml:"mapping"`
	Status  Status            `toml:"status"`
	// ConnectorName is how the tenant knows the sender; "" sends the
	// integration's name.
	ConnectorName string `toml:"connector_name"`
}

// Status is how active/inactive is written to a person.
type Status struct {
	Field    string `toml:"field"`
	Active   string `toml:"active"`
	Inactive string `toml:"inactive"`
}

// Defaults.
var (
	DefaultSyncField = []string{"USER"}
	DefaultMapping   = map[string]string{
		"USER":       "username",
		"EMAIL":      "email",
		"FIRST_NAME": "first_name",
		"LAST_NAME":  "last_name",
	}
	DefaultStatus = Status{Field: "STATUS", Active: "Active", Inactive: "Inactive"}
)

func newSettings() destinations.Settings {
	return &Settings{SyncField: slices.Clone(DefaultSyncField), Status: DefaultStatus}
}

// Fields is the merged mapping: Oomnitza field = our field.
func (s *Settings) Fields() map[string]string {
	m := maps.Clone(DefaultMapping)
	for k, v := range s.Mapping {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

// Check reports bad keys: a sync field the mapping does not fill, a
// mapped field we do not have, a status without a field or with one word
// for both states.
func (s *Settings) Check() []destinations.Problem {
	var probs []destinations.Problem
	add := func(key, msg string) { probs = append(probs, destinations.Problem{Key: key, Msg: msg}) }
	fields := s.Fields()
	if len(s.SyncField) == 0 {
		add("sync_field", "is empty: name the Oomnitza fields that identify a person, e.g. [\"USER\"]")
	}
	for _, f := range s.SyncField {
		if _, ok := fields[f]; !ok {
			add("sync_field", "names "+f+", which [destination.mapping] does not fill: map it, e.g. "+f+" = \"username\"")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		ours := fields[k]
		if name, ok := strings.CutPrefix(ours, "custom."); ok && name != "" {
			continue
		}
		if !slices.Contains(mapping.PersonFields, ours) {
			add("mapping."+k, "is "+`"`+ours+`"`+", not a field of a person: use one of "+strings.Join(mapping.PersonFields, ", ")+" or custom.NAME")
		}
	}
	if s.Status.Field == "" {
		add("status.field", "is empty: name the Oomnitza field that holds active/inactive")
	}
	if s.Status.Active == s.Status.Inactive {
		add("status.inactive", "is the same as status.active: the tenant could not tell them apart")
	}
	return probs
}
