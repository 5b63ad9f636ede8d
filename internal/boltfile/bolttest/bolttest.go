// Package bolttest damages bbolt files the way a disk or a careless copy
// does, for the tests of the code that must survive it: which pages a
// file uses, a page overwritten with random bytes, garbage written over a
// stored record with the pages left well formed.
//
// Imported by tests only.
package bolttest

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// Page is a page a file uses (free pages and the two meta pages are left
// out: bbolt falls back from one meta page to the other).
type Page struct {
	ID   int
	Leaf bool
	// FirstKeyLen is the length of a leaf's first key, which tells the
	// buckets apart when their keys differ in length.
	FirstKeyLen int
}

// LivePages lists the pages the file at path uses, and its page size.
func LivePages(t testing.TB, path string) (pageSize int, pages []Page) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize = db.Info().PageSize
	err = db.View(func(tx *bolt.Tx) error {
		for i := 2; ; i++ {
			p, err := tx.Page(i)
			if err != nil || p == nil {
				return err
			}
			if p.Type == "free" {
				continue
			}
			pg := Page{ID: i, Leaf: p.Type == "leaf"}
			if pg.Leaf && p.Count > 0 {
				// bbolt's leaf layout: a 16-byte page header, then 16-byte
				// elements {flags, pos, ksize, vsize} (uint32, host order).
				off := i*pageSize + 16
				pg.FirstKeyLen = int(binary.NativeEndian.Uint32(raw[off+8:]))
			}
			pages = append(pages, pg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return pageSize, pages
}

// OverwritePage fills page id with random bytes from r.
func OverwritePage(t testing.TB, path string, id, pageSize int, r *rand.Rand) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	junk := make([]byte, pageSize)
	for i := range junk {
		junk[i] = byte(r.IntN(256))
	}
	if _, err := f.WriteAt(junk, int64(id*pageSize)); err != nil {
		t.Fatal(err)
	}
}

// Scribble writes garbage over the start of every copy of needle in the
// file (old copies sit in free pages too), leaving the pages well formed:
// the record that holds it no longer decodes. The test fails when needle
// is not in the file.
func Scribble(t testing.TB, path, needle string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := bytes.Index(raw, []byte(needle)); i >= 0; i = bytes.Index(raw, []byte(needle)) {
		copy(raw[i:], "\x00\xff{{not json")
		n++
	}
	if n == 0 {
		t.Fatalf("%q is not in %s", needle, path)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}
