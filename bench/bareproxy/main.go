// Command bareproxy is the load test's yardstick: a bare
// httputil.ReverseProxy to the upstream, with the gateway's transport
// settings and nothing else, so the ratio of the gateway to it is the cost
// of keygate's work. With -buffer-pool it reuses its copy buffers as the
// gateway does, which is the fairer floor.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/keygate/keygate/gateway"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19081", "address to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:19080", "where to proxy")
	pooled := flag.Bool("buffer-pool", false, "reuse copy buffers, as keygate's gateway does")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatal(err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 1024
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() }, Transport: transport}
	if *pooled {
		proxy.BufferPool = gateway.NewBufferPool()
	}
	log.Fatal(http.ListenAndServe(*addr, proxy))
}
