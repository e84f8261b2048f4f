package notify

import "sync"

// HoldRecords makes d's recorders wait before recording each batch until
// the returned function is first called: attempts made, none recorded.
func HoldRecords(d *Dispatcher) (release func()) {
	held := make(chan struct{})
	wait := func() { <-held }
	d.beforeRecord.Store(&wait)
	return sync.OnceFunc(func() {
		d.beforeRecord.Store(nil)
		close(held)
	})
}
