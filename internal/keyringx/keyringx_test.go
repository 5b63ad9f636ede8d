package keyringx

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// stuckKeyring answers only once released, as a Secret Service whose
// collection is locked waits for an unlock prompt. A stand-in: a real
// locked collection cannot be made to wait on demand here (without a
// prompter gnome-keyring fails at once instead of waiting).
type stuckKeyring struct {
	release chan struct{}
	mu      sync.Mutex
	m       map[string]string
	calls   int
}

func newStuck() *stuckKeyring {
	return &stuckKeyring{release: make(chan struct{}), m: map[string]string{}}
}

func (k *stuckKeyring) wait() {
	k.mu.Lock()
	k.calls++
	k.mu.Unlock()
	<-k.release
}

func (k *stuckKeyring) Get(service, user string) (string, error) {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[service+"|"+user]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (k *stuckKeyring) Set(service, user, password string) error {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[service+"|"+user] = password
	return nil
}

func (k *stuckKeyring) Delete(service, user string) error {
	k.wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, service+"|"+user)
	return nil
}

func (k *stuckKeyring) started() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls
}

// A keyring that does not answer gives a typed timeout instead of a hang;
// while that call is still stuck, later calls do not start another one
// (no goroutine per retry) and say the keyring is busy; once it answers,
// calls work again.
func TestBoundedTurnsAHangIntoATimeout(t *testing.T) {
	k := newStuck()
	b := Bounded(k, 50*time.Millisecond)

	err := b.Set("svc", "user", "secret value")
	var te *TimeoutError
	if !errors.Is(err, ErrTimeout) || !errors.As(err, &te) || te.Busy || te.After != 50*time.Millisecond {
		t.Fatalf("Set on a stuck keyring = %v; want a *TimeoutError after 50ms, not busy", err)
	}
	_, err = b.Get("svc", "user")
	if !errors.As(err, &te) || !te.Busy {
		t.Fatalf("Get while the first call is stuck = %v; want a busy *TimeoutError", err)
	}
	if n := k.started(); n != 1 {
		t.Fatalf("%d calls reached the keyring; want 1 (the stuck one)", n)
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("a timeout reads as not found: %v", err)
	}

	close(k.release)
	var v string
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err = b.Get("svc", "user")
		if err == nil || !errors.Is(err, ErrTimeout) || time.Now().After(deadline) {
			break
		}
	}
	// The stuck Set finished on its own after its deadline: its write
	// happened (the keyring did it), only its answer was dropped.
	if err != nil || v != "secret value" {
		t.Fatalf("Get after the keyring answered = %q, %v; want the value the late Set stored", v, err)
	}
	if _, err := b.Get("svc", "other"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing item = %v; want ErrNotFound passed through", err)
	}
	if err := b.Delete("svc", "user"); err != nil {
		t.Errorf("Delete = %v", err)
	}
}

func TestTimeoutErrorSaysWhatToCheck(t *testing.T) {
	for _, e := range []*TimeoutError{{After: 10 * time.Second}, {After: time.Second, Busy: true}} {
		msg := e.Error()
		if want := e.After.String(); !strings.Contains(msg, want) || !strings.Contains(msg, "locked") {
			t.Errorf("%q should name the wait (%s) and the likely cause (locked)", msg, want)
		}
	}
}
