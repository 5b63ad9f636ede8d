package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"restic-manager/internal/keyringx"
)

// offUI runs a hub call that may wait on the OS keyring — storing a
// credential, or pushing a host its configuration, which reads them — on
// its own goroutine, and then done with its error on the UI goroutine.
// The keyring answers within keyringx.DefaultTimeout or the call fails
// saying so; meanwhile the window stays responsive and the view shows
// that it is waiting. Tests wait for every call with u.calls.Wait.
func (u *UI) offUI(call func() error, done func(error)) {
	u.calls.Add(1)
	go func() {
		defer u.calls.Done()
		err := call()
		fyne.Do(func() { done(err) })
	}()
}

// keyringHint adds what to do when err is the OS keyring not answering.
func keyringHint(err error) string {
	if errors.Is(err, keyringx.ErrTimeout) {
		return err.Error() + ". Unlock the keyring (e.g. log in to the desktop session) and try again."
	}
	return err.Error()
}

// approveHost approves a pending host: the hub pushes it its
// configuration at once, which reads its credentials from the keyring.
// The button is disabled meanwhile; a successful approval replaces it
// (the host is no longer pending), a failed one enables it again.
func (u *UI) approveHost(hostID, name string, btn *widget.Button) {
	btn.Disable()
	u.offUI(func() error { return u.hub.ApproveHost(hostID) }, func(err error) {
		if err != nil {
			btn.Enable()
			u.showError("Approve "+name, errors.New(keyringHint(err)))
		}
	})
}
