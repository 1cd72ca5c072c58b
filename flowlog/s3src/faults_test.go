package s3src_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
	"github.com/flowlens/flowlens/internal/s3test"
)

// These tests run against s3test.Fake, an in-memory S3 server on loopback behind a handler that
// injects one kind of fault, so they need no versitygw.

// flowText returns a plain-text flow-log object of n records, about 95 bytes each.
func flowText(n int) []byte {
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := range n {
		fmt.Fprintf(&b, "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.%d.%d 10.1.0.1 %d 443 6 10 8400 1793491200 1793491260 ACCEPT OK\n", i/250, i%250, 1024+i)
	}
	return []byte(b.String())
}

// serve serves h on loopback until the test ends. Handlers that stall wait on stop (or their
// request's end), which is closed before the server, as its Close waits for them.
func serve(t *testing.T, h http.HandlerFunc) (url string, stop <-chan struct{}) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ch := make(chan struct{})
	t.Cleanup(func() { close(ch) })
	return srv.URL, ch
}

func fakeClient(t *testing.T, url string, opts s3src.Options) *s3src.Client {
	t.Helper()
	for k, v := range s3test.Env(t.TempDir()) {
		t.Setenv(k, v)
	}
	opts.EndpointURL = url
	c, err := s3src.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// within runs f and fails the test if it has not returned after d: a hang is a failure, not a
// test that never ends.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: it hangs", d)
	}
}

// decodeAll expands s3://b/ and decodes every object.
func decodeAll(t *testing.T, c *s3src.Client) (*flowlog.Stats, []flowlog.ObjectError) {
	t.Helper()
	srcs, _, err := c.Expand(context.Background(), "s3://b/", flowlog.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	st, failed, err := flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{}, func(arrow.RecordBatch) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return st, failed
}

func isList(r *http.Request) bool { return r.URL.Query().Has("list-type") }

// cutAt passes the first `left` bytes of a body, then drops the connection.
type cutAt struct {
	http.ResponseWriter
	left int
}

func (c *cutAt) Write(b []byte) (int, error) {
	if len(b) <= c.left {
		c.left -= len(b)
		return c.ResponseWriter.Write(b)
	}
	c.ResponseWriter.Write(b[:c.left])
	c.ResponseWriter.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

// TestFakeListing: the fake server's listing, in pages and folders, is what the walk expects.
func TestFakeListing(t *testing.T) {
	f := s3test.NewFake()
	var want []string
	for d := 1; d <= 3; d++ {
		for h := range 4 {
			key := fmt.Sprintf("AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/%02d/123456789012_vpcflowlogs_us-east-1_fl-0_202611%02dT%02d00Z_x.log", d, d, h)
			f.Put("b", key, flowText(10))
			want = append(want, "s3://b/"+key)
		}
	}
	url, _ := serve(t, f.ServeHTTP)
	c := fakeClient(t, url, s3src.Options{PageSize: 2})
	srcs, _, err := c.Expand(context.Background(), "s3://b/", flowlog.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range srcs {
		got = append(got, s.Name)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("listed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	st, failed := decodeAll(t, c)
	if len(failed) != 0 || st.Records != 120 {
		t.Errorf("%d records, failed %v", st.Records, failed)
	}
}
