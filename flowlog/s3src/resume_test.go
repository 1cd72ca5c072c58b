package s3src_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
	"github.com/flowlens/flowlens/internal/s3test"
)

// etagWriter answers with another ETag than the object's.
type etagWriter struct{ http.ResponseWriter }

func (e etagWriter) WriteHeader(code int) {
	e.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
	e.ResponseWriter.WriteHeader(code)
}

// TestResumeChecksTheAnswer: the first GET of an object is cut at byte 100000, and the resume is
// answered with something else than the rest of the same object. The object fails with an error that
// says so, its records before the cut are counted, and nothing is appended.
func TestResumeChecksTheAnswer(t *testing.T) {
	const n = 3000
	text := flowText(n)
	for _, tc := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request)
		want  string
	}{
		{"whole object", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			r.Header.Del("Range") // a server that ignores Range and If-Match
			r.Header.Del("If-Match")
			return w, r
		}, "cannot resume s3://b/flows.log at byte 100000: the server answered 200 with the whole object"},
		{"other bytes", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			r.Header.Set("Range", "bytes=50000-")
			return w, r
		}, "cannot resume s3://b/flows.log at byte 100000: the server answered with bytes 50000-"},
		{"other ETag", func(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
			return etagWriter{w}, r
		}, `cannot resume s3://b/flows.log at byte 100000: the server answered with ETag "0123456789abcdef0123456789abcdef", not the object's ` + s3test.ETag(text)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := s3test.NewFake()
			f.Put("b", "flows.log", text)
			var gets atomic.Int64
			url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case isList(r):
				case gets.Add(1) == 1:
					w = &cutAt{ResponseWriter: w, left: 100_000}
				default:
					w, r = tc.fault(w, r)
				}
				f.ServeHTTP(w, r)
			})
			c := fakeClient(t, url, s3src.Options{})
			var st *flowlog.Stats
			var failed []flowlog.ObjectError
			within(t, 20*time.Second, func() { st, failed = decodeAll(t, c) })
			if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), tc.want) {
				t.Fatalf("records %d of %d, failed objects %v; want one failed with %q", st.Records, n, failed, tc.want)
			}
			// The records before the cut, and the line the cut splits, which the decoder counts as
			// malformed.
			if st.Records != int64(bytes.Count(text[:100_000], []byte("\n"))-1) || st.ObjectsFailed != 1 || st.Malformed > 1 {
				t.Errorf("records %d of %d (%d malformed), %d objects failed: want those before the cut", st.Records, n, st.Malformed, st.ObjectsFailed)
			}
			t.Log(failed[0].Err)
		})
	}
}

// TestResumeBudget: every GET is cut after 20 KB, so reading a 300 KB object takes 15 resumes, more
// than the 8 attempts; each makes progress, so the object is read whole. Resumes that make no
// progress still give up after MaxAttempts.
func TestResumeBudget(t *testing.T) {
	const n = 3000
	text := flowText(n)
	f := s3test.NewFake()
	f.Put("b", "flows.log", text)
	var progress atomic.Bool
	progress.Store(true)
	var gets atomic.Int64
	url, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if !isList(r) {
			left := 20_000
			if gets.Add(1) > 1 && !progress.Load() {
				left = 0
			}
			w = &cutAt{ResponseWriter: w, left: left}
		}
		f.ServeHTTP(w, r)
	})
	c := fakeClient(t, url, s3src.Options{})
	within(t, 20*time.Second, func() {
		st, failed := decodeAll(t, c)
		if len(failed) != 0 || st.Records != n || c.Resumes.Load() <= 8 {
			t.Errorf("cuts every 20 KB: %d records of %d, %d resumes, failed %v", st.Records, n, c.Resumes.Load(), failed)
		}
	})

	progress.Store(false)
	gets.Store(0)
	c = fakeClient(t, url, s3src.Options{MaxAttempts: 3})
	within(t, 20*time.Second, func() {
		st, failed := decodeAll(t, c)
		want := "reading s3://b/flows.log broke at byte 20000 3 times in a row without progress"
		if len(failed) != 1 || !strings.Contains(failed[0].Err.Error(), want) || st.Records == 0 || st.Records >= n {
			t.Errorf("no progress: %d records of %d, failed %v; want %q", st.Records, n, failed, want)
		}
	})
}
