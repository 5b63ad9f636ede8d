package storage

import (
	"os"
	"syscall"
)

// releaseMapped drops n bytes of a shared, read-only file mapping from
// addr (page aligned) out of the page tables: MADV_DONTNEED on such a
// mapping refills from the file on the next access.
func releaseMapped(addr uintptr, n int64) error {
	ps := uintptr(os.Getpagesize())
	length := (uintptr(n) + ps - 1) &^ (ps - 1)
	if length == 0 {
		return nil
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, syscall.MADV_DONTNEED); e != 0 {
		return os.NewSyscallError("madvise", e)
	}
	return nil
}
