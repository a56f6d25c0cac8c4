// An HTTP client as agents' Go tools are: 50 requests at once from the
// runtime's threads, the name resolved by Go's own resolver (raw system
// calls: only interlock's supervisor sees them). Prints how many succeeded
// and the first error; exit 0 when all did.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

func main() {
	url := os.Args[1]
	client := &http.Client{Timeout: 20 * time.Second}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, first := 0, ""
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Get(url)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if err == nil && resp.StatusCode == 200 {
				ok++
			} else if first == "" && err != nil {
				first = err.Error()
			}
		}()
	}
	wg.Wait()
	fmt.Printf("%d/50 %s\n", ok, first)
	if ok != 50 {
		os.Exit(1)
	}
}
