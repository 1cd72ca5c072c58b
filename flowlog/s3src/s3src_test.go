package s3src_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
	"github.com/flowlens/flowlens/flowlog/synth"
	"github.com/flowlens/flowlens/internal/s3test"
	"github.com/flowlens/flowlens/output"
	"github.com/flowlens/flowlens/report"
)

// The integration tests run against a real S3 server (internal/s3test: versitygw on loopback).
var server *s3test.Server

func TestMain(m *testing.M) {
	s, err := s3test.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if s == nil {
		fmt.Fprintln(os.Stderr, "s3src: FLOWLENS_VERSITYGW is not set: the S3 integration tests are skipped (make test runs them)")
		os.Exit(m.Run())
	}
	server = s
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

func needServer(t *testing.T) {
	t.Helper()
	if server == nil {
		t.Skip("no S3 server (set FLOWLENS_VERSITYGW, as make test does)")
	}
}

func upload(t *testing.T, bucket, prefix, dir string) {
	t.Helper()
	if err := server.Upload(bucket, prefix, dir); err != nil {
		t.Fatal(err)
	}
}

func client(t *testing.T, url string) *s3src.Client {
	t.Helper()
	for k, v := range s3test.Env(t.TempDir()) {
		t.Setenv(k, v)
	}
	c, err := s3src.New(context.Background(), s3src.Options{EndpointURL: url, MaxAttempts: 10})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// report runs the standard report over sources and returns its JSON.
func reportJSON(t *testing.T, sources []flowlog.Source, skipped int, opts report.Options) []byte {
	t.Helper()
	e, err := aggregate.New(aggregate.Config{Specs: report.Specs(opts), From: opts.From, To: opts.To})
	if err != nil {
		t.Fatal(err)
	}
	res, st, failed, err := aggregate.Run(context.Background(), e, sources, flowlog.Options{}, 2, nil)
	if err != nil || len(failed) > 0 {
		t.Fatalf("run: %v %v", err, failed)
	}
	var b bytes.Buffer
	rep, err := report.Build(res, report.Input{Stats: st, Failed: failed, Skipped: skipped}, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep.WriteJSON(&b)
	return b.Bytes()
}

var start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// TestReportOverS3 uploads generated objects in the three key layouts and checks that the report
// over s3:// is byte-identical to the report over the same files on disk, with and without a range.
func TestReportOverS3(t *testing.T) {
	needServer(t)
	for i, layout := range []string{"aws", "aws-hourly", "hive"} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := synth.Generate(synth.Config{Dir: dir, Seed: uint64(10 + i), Records: 30_000, Objects: 72, Fields: flowlog.DefaultLayout,
				Layout: layout, Start: start, Days: 3, Gzip: true}); err != nil {
				t.Fatal(err)
			}
			bucket := "flows-" + layout
			upload(t, bucket, "mirror/", dir)
			c := client(t, server.URL)
			for _, opts := range []report.Options{
				{Top: 10},
				{Top: 10, From: start.Add(30 * time.Hour), To: start.Add(40 * time.Hour)},
			} {
				sel := flowlog.Selection{From: opts.From, To: opts.To, Late: time.Hour}
				remote, skipped, err := c.Expand(context.Background(), "s3://"+bucket+"/mirror/", sel)
				if err != nil {
					t.Fatal(err)
				}
				local, lskipped, err := flowlog.ExpandLocalSelect(context.Background(), []string{dir}, sel)
				if err != nil {
					t.Fatal(err)
				}
				if len(remote) != len(local) || len(remote) == 0 {
					t.Fatalf("%d objects over S3, %d on disk", len(remote), len(local))
				}
				got, want := reportJSON(t, remote, skipped, opts), reportJSON(t, local, lskipped, opts)
				if !bytes.Equal(got, want) {
					t.Errorf("report over s3:// differs from the report on disk (range %v):\n%s", !opts.From.IsZero(), diffHead(got, want))
				}
			}
		})
	}
}

// TestListsOnlyTheDays: with a range, the listing walks accounts, services and regions, then lists
// one prefix per day of the range (plus --late), not the bucket.
func TestListsOnlyTheDays(t *testing.T) {
	needServer(t)
	for _, layout := range []string{"aws-hourly", "hive-hourly"} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 3, Records: 5000, Objects: 48, Fields: flowlog.DefaultLayout,
				Layout: layout, Start: start, Days: 4, Gzip: true}); err != nil {
				t.Fatal(err)
			}
			bucket := "days-" + layout
			upload(t, bucket, "", dir)
			p := newProxy(t, server.URL, 0, 0)
			c := client(t, p.url)
			sel := flowlog.Selection{From: start.Add(26 * time.Hour), To: start.Add(47 * time.Hour), Late: time.Hour}
			srcs, _, err := c.Expand(context.Background(), "s3://"+bucket+"/", sel)
			if err != nil {
				t.Fatal(err)
			}
			var lists []string
			for _, r := range p.requests() {
				if r.Method == "GET" && r.URL.Query().Has("list-type") {
					lists = append(lists, r.URL.Query().Get("prefix"))
				}
			}
			acct, region := "123456789012", "us-east-1"
			var want []string
			if layout == "aws-hourly" {
				base := "AWSLogs/" + acct + "/vpcflowlogs/" + region + "/"
				want = []string{"", "AWSLogs/", "AWSLogs/" + acct + "/", "AWSLogs/" + acct + "/vpcflowlogs/", base + "2026/11/02/", base + "2026/11/03/"}
			} else {
				base := "AWSLogs/aws-account-id=" + acct + "/aws-service=vpcflowlogs/aws-region=" + region + "/"
				want = []string{"", "AWSLogs/", "AWSLogs/aws-account-id=" + acct + "/", "AWSLogs/aws-account-id=" + acct + "/aws-service=vpcflowlogs/",
					base + "year=2026/month=11/day=02/", base + "year=2026/month=11/day=03/"}
			}
			if strings.Join(lists, " | ") != strings.Join(want, " | ") {
				t.Errorf("listed prefixes\n got: %v\nwant: %v", lists, want)
			}
			for _, s := range srcs {
				if !strings.Contains(s.Name, "/2026/11/02/") && !strings.Contains(s.Name, "/2026/11/03/") && !strings.Contains(s.Name, "day=02/") && !strings.Contains(s.Name, "day=03/") {
					t.Errorf("object outside the days: %s", s.Name)
				}
			}
		})
	}
}

// TestFaults: through a proxy that answers some requests with 503 SlowDown and cuts some bodies
// mid-object, the report is identical to the one without faults.
func TestFaults(t *testing.T) {
	needServer(t)
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 21, Records: 200_000, Objects: 6, Fields: flowlog.DefaultLayout,
		Layout: "aws", Start: start, Days: 1, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	upload(t, "faults", "", dir)
	clean := client(t, server.URL)
	want, _, err := clean.Expand(context.Background(), "s3://faults/", flowlog.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := reportJSON(t, want, 0, report.Options{Top: 10})
	p := newProxy(t, server.URL, 3, 2) // every 3rd request: 503; every 2nd object body: cut
	c := client(t, p.url)
	srcs, _, err := c.Expand(context.Background(), "s3://faults/", flowlog.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	got := reportJSON(t, srcs, 0, report.Options{Top: 10})
	if !bytes.Equal(got, wantJSON) {
		t.Errorf("report through faults differs:\n%s", diffHead(got, wantJSON))
	}
	if c.Resumes.Load() == 0 || p.slowdowns.Load() == 0 || p.cuts.Load() == 0 {
		t.Errorf("faults not exercised: %d resumes, %d 503s, %d cut bodies", c.Resumes.Load(), p.slowdowns.Load(), p.cuts.Load())
	}
}

// TestPagination: listings of many pages give the same objects as listings of one.
func TestPagination(t *testing.T) {
	needServer(t)
	dir := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: dir, Seed: 4, Records: 2000, Objects: 40, Fields: flowlog.DefaultLayout,
		Layout: "aws-hourly", Start: start, Days: 2, Gzip: true}); err != nil {
		t.Fatal(err)
	}
	upload(t, "pages", "", dir)
	one := client(t, server.URL)
	want, _, err := one.Expand(context.Background(), "s3://pages/", flowlog.Selection{})
	if err != nil || len(want) != 40 {
		t.Fatalf("%v, %d objects", err, len(want))
	}
	small, err := s3src.New(context.Background(), s3src.Options{EndpointURL: server.URL, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := small.Expand(context.Background(), "s3://pages/", flowlog.Selection{})
	if err != nil || len(got) != len(want) || small.Lists.Load() < 14 {
		t.Fatalf("%v: %d objects in %d list requests", err, len(got), small.Lists.Load())
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Size != want[i].Size {
			t.Fatalf("object %d: %s (%d), want %s (%d)", i, got[i].Name, got[i].Size, want[i].Name, want[i].Size)
		}
	}
}

// TestErrors: a missing bucket names the URI and the cause; refused credentials say so, and no
// credential appears in the message.
func TestErrors(t *testing.T) {
	needServer(t)
	c := client(t, server.URL)
	_, _, err := c.Expand(context.Background(), "s3://no-such-bucket/AWSLogs/", flowlog.Selection{})
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/AWSLogs/") || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("missing bucket: %v", err)
	}
	upload(t, "errs", "", t.TempDir())
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
	bad, err := s3src.New(context.Background(), s3src.Options{EndpointURL: server.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = bad.Expand(context.Background(), "s3://errs/", flowlog.Selection{})
	if err == nil || !strings.Contains(err.Error(), "s3://errs/") || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("bad credentials: %v", err)
	}
}

func diffHead(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

// proxy forwards to the server, recording requests; every slowEvery-th request gets 503 SlowDown,
// and every cutEvery-th object body is cut after half its bytes (the connection is dropped).
type proxy struct {
	url       string
	mu        sync.Mutex
	reqs      []*http.Request
	n         atomic.Int64
	bodies    atomic.Int64
	slowdowns atomic.Int64
	cuts      atomic.Int64
}

func newProxy(t *testing.T, target string, slowEvery, cutEvery int64) *proxy {
	t.Helper()
	u, _ := url.Parse(target)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &proxy{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.reqs = append(p.reqs, r.Clone(context.Background()))
		p.mu.Unlock()
		n := p.n.Add(1)
		if slowEvery > 0 && n%slowEvery == 0 {
			p.slowdowns.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		isBody := r.Method == "GET" && !r.URL.Query().Has("list-type") && strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
		if isBody && cutEvery > 0 && p.bodies.Add(1)%cutEvery == 0 {
			// The proxy panics with http.ErrAbortHandler when the write fails: the connection drops.
			rp.ServeHTTP(&cutWriter{ResponseWriter: w, cuts: &p.cuts}, r)
			return
		}
		rp.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	p.url = "http://" + l.Addr().String()
	return p
}

func (p *proxy) requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...)
}

// cutWriter passes the status and the first 100 KB of a successful body, then stops.
type cutWriter struct {
	http.ResponseWriter
	limit   int64
	written int64
	cuts    *atomic.Int64
}

func (c *cutWriter) WriteHeader(code int) {
	if code/100 == 2 {
		c.limit = 100_000
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.limit <= 0 {
		return c.ResponseWriter.Write(b)
	}
	if c.written+int64(len(b)) > c.limit {
		k := c.limit - c.written
		if k > 0 {
			c.ResponseWriter.Write(b[:k])
			c.written += k
		}
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		c.cuts.Add(1)
		return 0, io.ErrClosedPipe
	}
	c.written += int64(len(b))
	return c.ResponseWriter.Write(b)
}

// TestParquetOverS3: a Parquet object is read with ranged GETs (footer, then column chunks): the
// batches and the report are those of the same file on disk, also through faults, and with Need
// restricted fewer bytes are fetched than the object holds.
func TestParquetOverS3(t *testing.T) {
	needServer(t)
	text := t.TempDir()
	if _, err := synth.Generate(synth.Config{Dir: text, Seed: 8, Records: 120_000, Objects: 1, Fields: flowlog.V5Layout,
		Layout: "flat", Start: start, Days: 1, Gzip: false}); err != nil {
		t.Fatal(err)
	}
	srcs, err := flowlog.ExpandLocal([]string{text})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := dir + "/flows.parquet"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := output.NewParquetWriterOptions(f, output.ParquetOptions{RowGroupRows: 30_000})
	if _, _, err := flowlog.DecodeSources(context.Background(), srcs, flowlog.Options{}, pw.Write); err != nil || pw.Close() != nil || f.Close() != nil {
		t.Fatal(err)
	}
	upload(t, "parquet", "", dir)
	local, _ := flowlog.ExpandLocal([]string{path})
	size := local[0].Size

	// The same rows, in the same order, with all columns and with the report's.
	rows := func(sources []flowlog.Source, opts flowlog.Options) string {
		var out bytes.Buffer
		rw, _ := output.NewRowWriter(&out, output.JSONL)
		_, failed, err := flowlog.DecodeSources(context.Background(), sources, opts, rw.Write)
		if err != nil || len(failed) > 0 {
			t.Fatalf("%v %v", err, failed)
		}
		rw.Flush()
		return out.String()
	}
	c := client(t, server.URL)
	remote, _, err := c.Expand(context.Background(), "s3://parquet/", flowlog.Selection{})
	if err != nil || len(remote) != 1 {
		t.Fatalf("%v: %d objects", err, len(remote))
	}
	for _, opts := range []flowlog.Options{{Workers: 2}, {Workers: 1, Need: []flowlog.FieldID{flowlog.FSrcAddr, flowlog.FBytes}}} {
		if got, want := rows(remote, opts), rows(local, opts); got != want {
			t.Errorf("Need %v: rows over s3:// differ from those on disk", opts.Need)
		}
	}
	if got, want := reportJSON(t, remote, 0, report.Options{Top: 10}), reportJSON(t, local, 0, report.Options{Top: 10}); !bytes.Equal(got, want) {
		t.Errorf("report over s3:// differs from the report on disk:\n%s", diffHead(got, want))
	}

	// Only the footer and the needed chunks are fetched, in few requests.
	c = client(t, server.URL)
	remote, _, _ = c.Expand(context.Background(), "s3://parquet/", flowlog.Selection{})
	rows(remote, flowlog.Options{Need: []flowlog.FieldID{flowlog.FBytes}})
	fetched, gets := c.BytesFetched.Load(), c.RangedGets.Load()
	if fetched >= size/3 || gets == 0 || gets != c.Gets.Load() || gets > 3*4 {
		t.Errorf("bytes and log-status: %d of %d bytes fetched in %d ranged GETs (%d GETs)", fetched, size, gets, c.Gets.Load())
	}
	t.Logf("Need bytes: %d of %d bytes in %d ranged GETs", fetched, size, gets)

	// Through throttling and cut bodies, the same report.
	p := newProxy(t, server.URL, 3, 2)
	fc := client(t, p.url)
	remote, _, err = fc.Expand(context.Background(), "s3://parquet/", flowlog.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reportJSON(t, remote, 0, report.Options{Top: 10}), reportJSON(t, local, 0, report.Options{Top: 10}); !bytes.Equal(got, want) {
		t.Errorf("report through faults differs:\n%s", diffHead(got, want))
	}
	if p.slowdowns.Load() == 0 {
		t.Errorf("faults not exercised: %d 503s, %d cut bodies, %d resumes", p.slowdowns.Load(), p.cuts.Load(), fc.Resumes.Load())
	}
	t.Logf("through faults: %d 503s, %d cut bodies, %d resumes", p.slowdowns.Load(), p.cuts.Load(), fc.Resumes.Load())
}

// TestNoCredentials: a credential chain that finds nothing is one clear error, before any request,
// that says how to give credentials; --no-sign-request needs none; an unknown profile is named.
func TestNoCredentials(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": ""} {
		t.Setenv(k, v)
	}
	_, err := s3src.New(context.Background(), s3src.Options{Region: "us-east-1", EndpointURL: "http://127.0.0.1:1"})
	if err == nil || !strings.HasPrefix(err.Error(), "no AWS credentials found in the standard AWS credential chain") ||
		!strings.Contains(err.Error(), "--no-sign-request") || strings.Contains(err.Error(), "IMDS") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no credentials: %v", err)
	}
	if _, err := s3src.New(context.Background(), s3src.Options{Region: "us-east-1", EndpointURL: "http://127.0.0.1:1", NoSignRequest: true}); err != nil {
		t.Errorf("--no-sign-request: %v", err)
	}
	_, err = s3src.New(context.Background(), s3src.Options{Profile: "audit", Region: "us-east-1"})
	if err == nil || !strings.Contains(err.Error(), `AWS profile "audit" not found`) {
		t.Errorf("unknown profile: %v", err)
	}
}
