package protocol

import "sort"

// RegisteredTypes lists every envelope type this build decodes, sorted, so
// the external tests can check that each one has a golden sample.
func RegisteredTypes() []string {
	types := make([]string, 0, len(registry))
	for t := range registry {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}
