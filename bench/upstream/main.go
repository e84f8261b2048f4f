// Command upstream is the load test's stand-in for an operator's API: it
// answers every request at once with a small JSON body.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19080", "address to listen on")
	flag.Parse()
	body := []byte(`{"data":[{"id":"pro_01h","name":"Widget"}],"meta":{"request_id":"00000000-0000-0000-0000-000000000000"}}` + "\n")
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})))
}
