package auth

// SetBeforePut has v call f on a miss after the read and before its result
// is cached, where a concurrent invalidation can land.
func SetBeforePut(v *Verifier, f func()) { v.beforePut = f }
