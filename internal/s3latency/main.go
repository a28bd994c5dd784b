// Command s3latency is a reverse proxy in front of an S3 server (gofakes3
// in scripts/bench-s3) that delays every request by a fixed latency and
// counts requests, so that benchmarks on one machine see the round trips a
// remote object store costs. GET /__count prints the requests since the
// last such call (object GETs, listings, others) and resets the counts.
//
//	s3latency -listen 127.0.0.1:9444 -target http://127.0.0.1:9333 -latency 10ms
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9444", "address to listen on")
	target := flag.String("target", "http://127.0.0.1:9333", "the S3 server's URL")
	latency := flag.Duration("latency", 10*time.Millisecond, "delay added to every request")
	logRequests := flag.Bool("log", false, "log every request's method, path and query to stderr")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil {
		log.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var gets, lists, others atomic.Int64
	log.Fatal(http.ListenAndServe(*listen, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/__count" {
			g, l, o := gets.Swap(0), lists.Swap(0), others.Swap(0)
			fmt.Fprintf(w, "%d %d %d\n", g+l+o, g, l)
			return
		}
		if *logRequests {
			log.Printf("%s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		}
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && (q.Has("list-type") || q.Has("prefix") || q.Has("delimiter")):
			lists.Add(1)
		case r.Method == http.MethodGet:
			gets.Add(1)
		default:
			others.Add(1)
		}
		time.Sleep(*latency)
		proxy.ServeHTTP(w, r)
	})))
}
