// Package all registers every built-in destination type; the program
// imports it for its side effect.
package all

import (
	_ "github.com/agentsync/agent/destinations/oomnitza"
	_ "github.com/agentsync/agent/destinations/webhook"
)
