package keygate

// Environment is a hard partition of keygate's data: every account, and so
// every key, event and setting, belongs to exactly one. A request's
// environment is the surface it arrived on, never what the caller claims.
type Environment string

// The two environments, as Paddle has them.
const (
	Live    Environment = "live"
	Sandbox Environment = "sandbox"
)

// Valid reports whether e is Live or Sandbox.
func (e Environment) Valid() bool { return e == Live || e == Sandbox }

// Environments lists every environment, live first.
var Environments = []Environment{Live, Sandbox}
