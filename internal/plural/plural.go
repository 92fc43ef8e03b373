// Package plural writes counts in English: "1 integration", "2
// integrations", for every count the agent prints.
package plural

import "strconv"

// Count returns n with the noun that agrees with it: one for 1 (and -1),
// many otherwise ("0 integrations").
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Noun(n, one, many)
}

// Noun returns the noun alone: one for 1 (and -1), many otherwise.
func Noun(n int, one, many string) string {
	if n == 1 || n == -1 {
		return one
	}
	return many
}
