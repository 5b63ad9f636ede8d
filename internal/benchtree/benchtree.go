// Package benchtree writes the tree the agent's benchmarks back up: 200,000
// empty files in 20 × 20 × 10 directories of 50 (dept00/proj00/v00/
// file-000.txt …), the shape of a large office share. agent/browse
// measures tree.list over one snapshot of it, agent/runner find over
// twenty. Test code only; standard library only.
package benchtree

import (
	"fmt"
	"os"
	"path/filepath"
)

// The tree's shape.
const (
	Fan1, Fan2, Fan3, Files = 20, 20, 10, 50
	// Total is the number of files.
	Total = Fan1 * Fan2 * Fan3 * Files
)

// Write creates the tree under src.
func Write(src string) error {
	for i := range Fan1 {
		for j := range Fan2 {
			for k := range Fan3 {
				leaf := filepath.Join(src, fmt.Sprintf("dept%02d", i), fmt.Sprintf("proj%02d", j), fmt.Sprintf("v%02d", k))
				if err := os.MkdirAll(leaf, 0o755); err != nil {
					return err
				}
				for f := range Files {
					if err := os.WriteFile(filepath.Join(leaf, fmt.Sprintf("file-%03d.txt", f)), nil, 0o644); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
