// Command genkeys prints random, well-formed live API keys with right check
// digits, one a line, for the load test: keys no store holds, which the
// verifier must refuse cheaply (one store read each, then negative caching).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/keygate/keygate/credential"
)

func main() {
	n := flag.Int("n", 100000, "how many keys")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for range *n {
		fmt.Fprintln(w, credential.NewAPIKey("", credential.EnvLive, time.Now()).Token)
	}
}
