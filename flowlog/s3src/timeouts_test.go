package s3src_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
	"github.com/flowlens/flowlens/internal/s3test"
)

// TestTimeouts: a connect that hangs, a server that accepts and never answers, and a body that
// stalls halfway are timeouts, retried, and end in an error that names the object and the timeout;
// a body that stalls once is resumed and read whole.
func TestTimeouts(t *testing.T) {
	const n = 3000
	text := flowText(n)
	short := func(o s3src.Options) s3src.Options {
		o.MaxAttempts = 2
		if o.ConnectTimeout == 0 {
			o.ConnectTimeout = 5 * time.Second
		}
		if o.ResponseHeaderTimeout == 0 {
			o.ResponseHeaderTimeout = 5 * time.Second
		}
		if o.ReadIdleTimeout == 0 {
			o.ReadIdleTimeout = 5 * time.Second
		}
		return o
	}

	t.Run("connect", func(t *testing.T) {
		addr, release, err := s3test.StalledConnect()
		if err != nil {
			t.Skip(err)
		}
		defer release()
		c := fakeClient(t, "http://"+addr, short(s3src.Options{ConnectTimeout: 50 * time.Millisecond}))
		within(t, 10*time.Second, func() {
			_, _, err := c.Expand(context.Background(), "s3://b/logs/", flowlog.Selection{})
			want := "cannot list s3://b/logs/: no connection within 50ms (the connect timeout), 2 attempts"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want %q", err, want)
			}
		})
	})

	t.Run("no answer", func(t *testing.T) {
		// Accepts connections, reads nothing, answers nothing.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		defer func() {
			l.Close()
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		}()
		c := fakeClient(t, "http://"+l.Addr().String(), short(s3src.Options{ResponseHeaderTimeout: 50 * time.Millisecond}))
		within(t, 10*time.Second, func() {
			_, _, err := c.Expand(context.Background(), "s3://b/logs/", flowlog.Selection{})
			want := "cannot list s3://b/logs/: no response headers within 50ms (the response-header timeout), 2 attempts"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want %q", err, want)
			}
		})
	})

	// An object whose GETs stall as stall says: before the headers, or after 100000 bytes of the body.
	object := func(t *testing.T, stall func(get int64, w http.ResponseWriter, r *http.Request) (bool, http.ResponseWriter), opts s3src.Options) (*flowlog.Stats, []flowlog.ObjectError, *s3src.Client) {
		f := s3test.NewFake()
		f.Put("b", "flows.log", text)
		var gets atomic.Int64
		var stop <-chan struct{}
		var url string
		url, stop = serve(t, func(w http.ResponseWriter, r *http.Request) {
			if !isList(r) {
				var before bool
				if before, w = stall(gets.Add(1), w, r); before {
					select {
					case <-r.Context().Done():
					case <-stop:
					}
					return
				}
			}
			f.ServeHTTP(w, r)
		})
		c := fakeClient(t, url, short(opts))
		var st *flowlog.Stats
		var failed []flowlog.ObjectError
		within(t, 10*time.Second, func() { st, failed = decodeAll(t, c) })
		return st, failed, c
	}
	t.Run("headers of an object", func(t *testing.T) {
		st, failed, _ := object(t, func(int64, http.ResponseWriter, *http.Request) (bool, http.ResponseWriter) { return true, nil },
			s3src.Options{ResponseHeaderTimeout: 50 * time.Millisecond})
		want := "cannot read s3://b/flows.log: no response headers within 50ms (the response-header timeout), 2 attempts"
		if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), want) || st.ObjectsFailed != 1 {
			t.Errorf("failed %v, want %q", failed, want)
		}
	})

	stallAfter := func(left int) func(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
		return func(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
			return &stallingWriter{ResponseWriter: w, left: left, done: r.Context().Done()}
		}
	}
	t.Run("body stalls once", func(t *testing.T) {
		st, failed, c := object(t, func(get int64, w http.ResponseWriter, r *http.Request) (bool, http.ResponseWriter) {
			if get == 1 {
				return false, stallAfter(100_000)(w, r)
			}
			return false, w
		}, s3src.Options{ReadIdleTimeout: 50 * time.Millisecond})
		if len(failed) != 0 || st.Records != n || c.Resumes.Load() == 0 {
			t.Errorf("%d records of %d, %d resumes, failed %v", st.Records, n, c.Resumes.Load(), failed)
		}
	})
	t.Run("body stalls always", func(t *testing.T) {
		st, failed, _ := object(t, func(get int64, w http.ResponseWriter, r *http.Request) (bool, http.ResponseWriter) {
			if get == 1 {
				return false, stallAfter(100_000)(w, r)
			}
			return false, stallAfter(0)(w, r)
		}, s3src.Options{ReadIdleTimeout: 50 * time.Millisecond})
		want := "reading s3://b/flows.log broke at byte 100000 2 times in a row without progress: no byte received for 50ms (the read-idle timeout)"
		if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), want) || st.Records == 0 || st.Records >= n {
			t.Errorf("%d records of %d, failed %v, want %q", st.Records, n, failed, want)
		}
	})
}

// stallingWriter passes the first `left` bytes of a body, then waits until the request ends.
type stallingWriter struct {
	http.ResponseWriter
	left int
	done <-chan struct{}
}

func (s *stallingWriter) Write(b []byte) (int, error) {
	if len(b) <= s.left {
		s.left -= len(b)
		return s.ResponseWriter.Write(b)
	}
	s.ResponseWriter.Write(b[:s.left])
	s.ResponseWriter.(http.Flusher).Flush()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
	}
	panic(http.ErrAbortHandler)
}
