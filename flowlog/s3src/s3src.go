// Package s3src reads flow-log objects where they are: in S3 or an S3-compatible store.
//
// Its input is an S3 URI and the time range of a job:
//
//	s3://flow-logs/AWSLogs/                 --from 2026-11-01 --to 2026-11-02
//
// It lists only what the range can need, with flowlog.Walk: below AWSLogs/ it walks accounts,
// services and regions one level at a time (keeping those that --account and --region name), then
// lists one prefix per day (AWSLogs/{account}/vpcflowlogs/{region}/2026/11/01/, or
// …/year=2026/month=11/day=01/ in the Hive form), from the day of --from to the day of --to plus
// --late. A prefix that matches no layout is listed as given. Every object listed is still kept or
// dropped by its key (flowlog.KeyInfo), and its records by their own start times.
//
// Objects are read while they download. A body that breaks mid-object is resumed with a ranged GET
// from the byte reached, pinned to the object's ETag, so that no byte is read twice or lost: an
// answer that is not 206 from that byte with that ETag fails the object instead;
// Parquet objects are read at random instead, with ranged GETs of the footer and of the column
// chunks the job needs, pinned and checked the same way;
// throttling (503 SlowDown), 5xx, connection errors and timeouts (connect, response headers, a
// connection that goes silent) are retried with backoff by the SDK's standard retryer; access and
// existence errors stop with a message that names the URI and the cause. A listing that would not
// end (a repeated continuation token, more than Options.MaxListKeys keys) is an error.
package s3src

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/flowlens/flowlens/flowlog"
)

// Options configure access to S3. Credentials come from the standard chain (environment, shared
// config and credentials files, SSO, container and instance roles).
type Options struct {
	Profile       string // a profile of the shared config files
	Region        string // the bucket's region (else the configured one, else us-east-1)
	EndpointURL   string // an S3-compatible store (MinIO, Ceph, versitygw): path-style addressing
	NoSignRequest bool   // anonymous requests, for public buckets
	// MaxAttempts is the attempts per request, and the resumes of an object body in a row that make
	// no progress (default 8).
	MaxAttempts int
	PageSize    int32 // keys per ListObjectsV2 page (the server's default, 1000, when 0)

	// Timeouts of every request, so that a server that stops answering is a fault, retried as a 503
	// is, not a hang. Zero takes the default; a negative value sets none.
	ConnectTimeout        time.Duration // to open a TCP connection (default 10 s)
	ResponseHeaderTimeout time.Duration // from a request sent to its response's headers (default 30 s)
	ReadIdleTimeout       time.Duration // without a byte received on a connection, in a body too (default 60 s)

	// MaxListKeys bounds the keys and folders that one Expand lists (an empty page counts as one), so
	// that a listing that never ends fails instead of filling memory (default 10,000,000).
	MaxListKeys int64

	// HTTPClient replaces the SDK's HTTP client: the timeouts above are then its own.
	HTTPClient *http.Client
}

// Client lists and reads flow-log objects.
type Client struct {
	s3   *s3.Client
	opts Options

	// Requests made, for tests and diagnostics.
	Lists      atomic.Int64
	Gets       atomic.Int64 // every GET of an object, ranged ones included
	RangedGets atomic.Int64 // GETs of a part of a Parquet object
	Resumes    atomic.Int64
	// BytesFetched counts the object bytes received.
	BytesFetched atomic.Int64
}

// New loads the AWS configuration and returns a client.
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&opts.ConnectTimeout, 10 * time.Second}, {&opts.ResponseHeaderTimeout, 30 * time.Second}, {&opts.ReadIdleTimeout, 60 * time.Second}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if opts.MaxListKeys <= 0 {
		opts.MaxListKeys = 10_000_000
	}
	lo := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = opts.MaxAttempts
				o.MaxBackoff = 5 * time.Second
			})
		}),
	}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.NoSignRequest {
		lo = append(lo, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	if opts.HTTPClient != nil {
		lo = append(lo, config.WithHTTPClient(opts.HTTPClient))
	} else {
		lo = append(lo, config.WithHTTPClient(httpClient(opts)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil && opts.Profile != "" && strings.Contains(err.Error(), "failed to get shared config profile") {
		return nil, fmt.Errorf("AWS profile %q not found in the shared config and credentials files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE)", opts.Profile)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if !opts.NoSignRequest {
		// Found now, credentials that are missing make one clear error instead of the SDK's chain of
		// every provider it tried, on the first request.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return nil, noCredentials(opts.Profile, err)
		}
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Ranged reads carry no whole-object checksum: that is expected, not worth a log line.
		o.DisableLogOutputChecksumValidationSkipped = true
		if opts.EndpointURL != "" {
			o.BaseEndpoint = aws.String(opts.EndpointURL)
			o.UsePathStyle = true
		}
	})
	return &Client{s3: c, opts: opts}, nil
}

// httpClient is the SDK's HTTP client with the timeouts of opts. A connection that goes silent
// fails its read after ReadIdleTimeout (the SDK sets a read deadline before every read of the
// connection), so a body that stalls halfway is a broken body, resumed as any other.
func httpClient(opts Options) aws.HTTPClient {
	// Left buildable, so that the configuration can still add to it (a CA bundle); a defaults mode
	// other than legacy (AWS_DEFAULTS_MODE) sets its own connect timeout.
	return awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
		d.Timeout = max(opts.ConnectTimeout, 0)
	}).WithTransportOptions(func(t *http.Transport) {
		t.ResponseHeaderTimeout = max(opts.ResponseHeaderTimeout, 0)
	}).WithReadTimeout(max(opts.ReadIdleTimeout, 0))
}

// named returns err, named if it is a timeout.
func (c *Client) named(err error) error {
	if cause := c.timeoutCause(err); cause != "" {
		return &timeoutError{cause, err}
	}
	return err
}

// timeoutCause names the timeout that err comes from, if it comes from one.
func (c *Client) timeoutCause(err error) string {
	var rt *awshttp.ResponseTimeoutError
	var op *net.OpError
	switch {
	case errors.As(err, &rt):
		return fmt.Sprintf("no byte received for %v (the read-idle timeout)", rt.TimeoutDur)
	case errors.As(err, &op) && op.Op == "dial" && op.Timeout():
		return fmt.Sprintf("no connection within %v (the connect timeout)", c.opts.ConnectTimeout)
	case strings.Contains(err.Error(), "timeout awaiting response headers"):
		// net/http's error for ResponseHeaderTimeout, of an unexported type.
		return fmt.Sprintf("no response headers within %v (the response-header timeout)", c.opts.ResponseHeaderTimeout)
	}
	return ""
}

// timeoutError is a timeout, named, with the SDK's error behind it.
type timeoutError struct {
	what string
	err  error
}

func (e *timeoutError) Error() string { return e.what }
func (e *timeoutError) Unwrap() error { return e.err }

// noCredentials is the error of a credential chain that found nothing: what was tried, in one line,
// and the ways to give credentials.
func noCredentials(profile string, _ error) error {
	from := "the standard AWS credential chain"
	if profile != "" {
		from = fmt.Sprintf("profile %q", profile)
	}
	return fmt.Errorf("no AWS credentials found in %s: set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
		"run 'aws sso login', or use an instance or container role; for a public bucket, --no-sign-request", from)
}

// IsURI reports whether a source argument is an S3 URI.
func IsURI(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseURI splits s3://bucket/prefix.
func ParseURI(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3:// URI", uri)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket", uri)
	}
	return bucket, prefix, nil
}

// Expand lists the flow-log objects of uri that sel can need (see flowlog.Walk), in key order, and
// returns them as sources, with the number of listed objects that their keys ruled out.
func (c *Client) Expand(ctx context.Context, uri string, sel flowlog.Selection) ([]flowlog.Source, int, error) {
	bucket, prefix, err := ParseURI(uri)
	if err != nil {
		return nil, 0, err
	}
	objs, skipped, err := flowlog.Walk(ctx, lister{c: c, bucket: bucket, listed: new(int64)}, prefix, sel)
	if err != nil {
		return nil, 0, err
	}
	out := make([]flowlog.Source, 0, len(objs))
	for _, o := range objs {
		out = append(out, c.source(ctx, bucket, o))
	}
	return out, skipped, nil
}

// lister lists a bucket for flowlog.Walk.
type lister struct {
	c      *Client
	bucket string
	listed *int64 // keys and folders listed so far, against Options.MaxListKeys
}

func (l lister) Dir(ctx context.Context, prefix string, out *[]flowlog.Object) ([]string, error) {
	var dirs []string
	err := l.c.list(ctx, l.bucket, prefix, "/", l.listed, func(p *s3.ListObjectsV2Output) {
		for _, cp := range p.CommonPrefixes {
			dirs = append(dirs, aws.ToString(cp.Prefix))
		}
		appendObjects(p, out)
	})
	return dirs, err
}

func (l lister) All(ctx context.Context, prefix string, out *[]flowlog.Object) error {
	return l.c.list(ctx, l.bucket, prefix, "", l.listed, func(p *s3.ListObjectsV2Output) { appendObjects(p, out) })
}

func appendObjects(p *s3.ListObjectsV2Output, out *[]flowlog.Object) {
	for _, o := range p.Contents {
		*out = append(*out, flowlog.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Version: "etag:" + aws.ToString(o.ETag)})
	}
}

// list calls page with every page of a listing. A listing that would never end is an error: one
// that comes back to a continuation token, or that goes past Options.MaxListKeys (counted in
// *listed, over all the listings of an Expand).
func (c *Client) list(ctx context.Context, bucket, prefix, delim string, listed *int64, page func(*s3.ListObjectsV2Output)) error {
	uri := "s3://" + bucket + "/" + prefix
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	if c.opts.PageSize > 0 {
		in.MaxKeys = aws.Int32(c.opts.PageSize)
	}
	if delim != "" {
		in.Delimiter = aws.String(delim)
	}
	var tokens tokenCycle
	for n := 1; ; n++ {
		c.Lists.Add(1)
		p, err := c.s3.ListObjectsV2(ctx, in, checkListRoot)
		var nl notListing
		if errors.As(err, &nl) {
			return fmt.Errorf("cannot list %s: %w", uri, nl) // the SDK's wrapping says nothing more
		}
		if err != nil {
			return c.describe("list", uri, err)
		}
		*listed += max(int64(len(p.Contents)+len(p.CommonPrefixes)), 1)
		if *listed > c.opts.MaxListKeys {
			return fmt.Errorf("cannot list %s: more than %d keys listed (the listing limit): list a narrower prefix or time range", uri, c.opts.MaxListKeys)
		}
		page(p)
		if !aws.ToBool(p.IsTruncated) {
			return nil
		}
		next := aws.ToString(p.NextContinuationToken)
		if next == "" {
			return fmt.Errorf("cannot list %s: page %d is truncated but gives no continuation token", uri, n)
		}
		if tokens.repeats(next) {
			return fmt.Errorf("cannot list %s: page %d repeats the continuation token %q of an earlier page: the listing would never end", uri, n, clipToken(next))
		}
		in.ContinuationToken = aws.String(next)
	}
}

// tokenCycle finds a listing that comes back to a continuation token it gave before, in constant
// memory (Brent's cycle detection): the token kept is replaced at steps 1, 2, 4, 8, …, so a cycle
// of any length is found within about twice the pages it takes to enter and go round it.
type tokenCycle struct {
	kept         string
	steps, power int
}

func (t *tokenCycle) repeats(tok string) bool {
	if tok == t.kept {
		return true
	}
	t.steps++
	if t.steps >= t.power {
		t.kept, t.steps, t.power = tok, 0, max(1, 2*t.power)
	}
	return false
}

// clipToken shortens a token for an error message: S3's are long and opaque.
func clipToken(t string) string {
	if len(t) > 40 {
		return t[:40] + "…"
	}
	return t
}

// checkListRoot adds listRoot to a ListObjectsV2 request.
func checkListRoot(o *s3.Options) {
	o.APIOptions = append(slices.Clip(o.APIOptions), func(st *middleware.Stack) error {
		return st.Deserialize.Insert(listRoot{}, "OperationDeserializer", middleware.After)
	})
}

// notListing is a successful answer to ListObjectsV2 that is not a listing.
type notListing string

func (e notListing) Error() string { return string(e) }

// listRoot checks that a successful answer to ListObjectsV2 is a ListBucketResult: the SDK takes
// any other XML document, or an empty body, for an empty listing, which would read nothing and
// say nothing (a proxy's page, an endpoint that is not S3). It runs before the SDK's deserializer
// and reads only up to the document's first element, which it gives back.
type listRoot struct{}

func (listRoot) ID() string { return "FlowlensListBucketResult" }

func (listRoot) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp.StatusCode/100 != 2 {
		return out, md, err
	}
	var seen bytes.Buffer
	dec := xml.NewDecoder(io.TeeReader(resp.Body, &seen))
	root := ""
	for root == "" {
		tok, err := dec.RawToken()
		if err == io.EOF && seen.Len() == 0 {
			return out, md, notListing("the server answered with an empty body, not a <ListBucketResult>")
		}
		var syn *xml.SyntaxError
		if errors.As(err, &syn) || err == io.EOF {
			break // not XML: the SDK's deserializer says so
		}
		if err != nil {
			return out, md, err // a read that failed: retried as such
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se.Name.Local
		}
	}
	if root != "" && root != "ListBucketResult" {
		return out, md, notListing(fmt.Sprintf("the server answered with <%s>, not a <ListBucketResult>", root))
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(&seen, resp.Body), resp.Body}
	return out, md, nil
}

// describe names the URI and the cause of a failed request, without anything secret.
func (c *Client) describe(op, uri string, err error) error {
	if cause := c.timeoutCause(err); cause != "" {
		var ma *retry.MaxAttemptsError
		if errors.As(err, &ma) {
			cause += fmt.Sprintf(", %d attempts", ma.Attempt)
		}
		return fmt.Errorf("cannot %s %s: %w", op, uri, &timeoutError{cause, err})
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		why := ae.ErrorMessage()
		switch ae.ErrorCode() {
		case "AccessDenied":
			why = "access denied (check the credentials, --profile and the bucket policy)"
		case "NoSuchBucket":
			why = "the bucket does not exist"
		case "NoSuchKey", "NotFound":
			why = "the object does not exist"
		case "PermanentRedirect", "AuthorizationHeaderMalformed":
			why = "the bucket is in another region: give the bucket's region with --bucket-region (or --region)"
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken":
			why = "the credentials were refused (" + ae.ErrorCode() + ")"
		}
		return fmt.Errorf("cannot %s %s: %s: %s", op, uri, ae.ErrorCode(), why)
	}
	return fmt.Errorf("cannot %s %s: %w", op, uri, err)
}

// source returns the source of an object, opened with a resuming reader, or for Parquet with a
// reader at random that has not made any request yet.
func (c *Client) source(ctx context.Context, bucket string, o flowlog.Object) flowlog.Source {
	uri := "s3://" + bucket + "/" + o.Key
	return flowlog.Source{Name: uri, Size: o.Size, Version: o.Version, Opener: func() (io.ReadCloser, error) {
		if flowlog.IsParquetName(o.Key) {
			return &rangeReader{ctx: ctx, c: c, bucket: bucket, key: o.Key, uri: uri, size: o.Size}, nil
		}
		r := &objectReader{ctx: ctx, c: c, bucket: bucket, key: o.Key, uri: uri, size: o.Size}
		if err := r.open(); err != nil {
			return nil, err
		}
		return r, nil
	}}
}

// objectReader reads an object's body, resuming a broken body with a ranged GET from the offset
// reached, pinned to the ETag of the first response.
type objectReader struct {
	ctx      context.Context
	c        *Client
	bucket   string
	key, uri string
	size     int64
	etag     string
	off      int64
	body     io.ReadCloser
	resumes  int   // breaks in a row without progress
	brokeAt  int64 // the offset of the last break
}

func (r *objectReader) open() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key)}
	if r.off > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.off))
		if r.etag != "" {
			in.IfMatch = aws.String(r.etag)
		}
	}
	r.c.Gets.Add(1)
	out, err := r.c.s3.GetObject(r.ctx, in)
	if err != nil {
		if r.off > 0 && r.etag != "" && isPreconditionFailed(err) {
			return fmt.Errorf("cannot resume %s at byte %d: the object changed since its read began (it no longer has ETag %s)", r.uri, r.off, r.etag)
		}
		return r.c.describe("read", r.uri, err)
	}
	if r.off == 0 {
		r.etag = aws.ToString(out.ETag)
		if out.ContentLength != nil {
			r.size = *out.ContentLength
		}
	} else if err := checkPart(out, r.off, r.etag); err != nil {
		// The bytes are not the rest of the object that was being read: appending them would read
		// records twice or lose some.
		out.Body.Close()
		return fmt.Errorf("cannot resume %s at byte %d: %w", r.uri, r.off, err)
	}
	r.body = out.Body
	return nil
}

// checkPart checks that the answer to a ranged GET from byte `from`, pinned to etag, is the part
// asked for: 206 Partial Content from that byte, of the object with that ETag. A server may ignore
// Range or If-Match and answer 200 with the whole object.
func checkPart(out *s3.GetObjectOutput, from int64, etag string) error {
	cr := aws.ToString(out.ContentRange)
	if cr == "" {
		status := "200"
		if resp, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok {
			status = strconv.Itoa(resp.StatusCode)
		}
		return fmt.Errorf("the server answered %s with the whole object, not 206 with the bytes from %d (it ignored Range and If-Match)", status, from)
	}
	if !strings.HasPrefix(cr, fmt.Sprintf("bytes %d-", from)) {
		return fmt.Errorf("the server answered with %s, not the bytes from %d", cr, from)
	}
	if etag != "" && aws.ToString(out.ETag) != etag {
		return fmt.Errorf("the server answered with ETag %s, not the object's %s (it ignored If-Match)", aws.ToString(out.ETag), etag)
	}
	return nil
}

// isPreconditionFailed reports whether a GET was refused because If-Match did not hold: the object
// changed.
func isPreconditionFailed(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusPreconditionFailed
}

func (r *objectReader) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			if err := r.open(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		r.c.BytesFetched.Add(int64(n))
		if err == io.EOF && r.off < r.size {
			err = io.ErrUnexpectedEOF // the connection closed early
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		r.body.Close()
		r.body = nil
		// The budget counts breaks in a row at the same byte: a long object over a poor connection
		// may break many times, each after some progress, and still be read whole.
		if r.off > r.brokeAt {
			r.resumes = 0
		}
		r.brokeAt = r.off
		if r.resumes >= r.c.opts.MaxAttempts {
			return n, fmt.Errorf("reading %s broke at byte %d %d times in a row without progress: %w", r.uri, r.off, r.resumes, r.c.named(err))
		}
		r.resumes++
		r.c.Resumes.Add(1)
		select {
		case <-time.After(time.Duration(r.resumes*r.resumes) * 50 * time.Millisecond):
		case <-r.ctx.Done():
			return n, r.ctx.Err()
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *objectReader) Close() error {
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}

// rangeReader reads an object at random with ranged GETs, pinned with If-Match to the ETag of the
// first response, so that all parts come from one version of the object. A body that breaks is
// resumed from the byte reached, as objectReader does. Read streams the object from its start with
// an objectReader, for a caller that reads it in order.
type rangeReader struct {
	ctx      context.Context
	c        *Client
	bucket   string
	key, uri string
	size     int64

	mu     sync.Mutex
	etag   string
	stream *objectReader
}

// ConcurrentReads tells flowlog that reads are requests, better made several at a time.
func (r *rangeReader) ConcurrentReads() bool { return true }

func (r *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s at byte %d: negative offset", r.uri, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), r.size-off))
	n, resumes := 0, 0
	for n < want {
		body, err := r.get(off+int64(n), off+int64(want)-1)
		if err != nil {
			return n, err
		}
		m, err := io.ReadFull(body, p[n:want])
		body.Close()
		n += m
		r.c.BytesFetched.Add(int64(m))
		if err == nil {
			break
		}
		if m > 0 {
			resumes = 0 // as objectReader: breaks in a row without progress
		}
		if resumes >= r.c.opts.MaxAttempts {
			return n, fmt.Errorf("reading bytes %d-%d of %s broke at byte %d %d times in a row without progress: %w", off, off+int64(want)-1, r.uri, off+int64(n), resumes, r.c.named(err))
		}
		resumes++
		r.c.Resumes.Add(1)
		select {
		case <-time.After(time.Duration(resumes*resumes) * 50 * time.Millisecond):
		case <-r.ctx.Done():
			return n, r.ctx.Err()
		}
	}
	if want < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// get starts a GET of bytes from-to (inclusive).
func (r *rangeReader) get(from, to int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(r.bucket), Key: aws.String(r.key), Range: aws.String(fmt.Sprintf("bytes=%d-%d", from, to))}
	r.mu.Lock()
	etag := r.etag
	r.mu.Unlock()
	if etag != "" {
		in.IfMatch = aws.String(etag)
	}
	r.c.Gets.Add(1)
	r.c.RangedGets.Add(1)
	out, err := r.c.s3.GetObject(r.ctx, in)
	if err != nil {
		if etag != "" && isPreconditionFailed(err) {
			return nil, fmt.Errorf("cannot read bytes %d-%d of %s: the object changed since its read began (it no longer has ETag %s)", from, to, r.uri, etag)
		}
		return nil, r.c.describe(fmt.Sprintf("read bytes %d-%d of", from, to), r.uri, err)
	}
	// A whole object read as if it were the part asked for would be wrong bytes, not an error.
	if err := checkPart(out, from, etag); err != nil {
		out.Body.Close()
		return nil, fmt.Errorf("cannot read bytes %d-%d of %s: %w", from, to, r.uri, err)
	}
	if etag == "" {
		r.mu.Lock()
		if r.etag == "" {
			r.etag = aws.ToString(out.ETag)
		}
		r.mu.Unlock()
	}
	return out.Body, nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.stream == nil {
		s := &objectReader{ctx: r.ctx, c: r.c, bucket: r.bucket, key: r.key, uri: r.uri, size: r.size}
		if err := s.open(); err != nil {
			return 0, err
		}
		r.stream = s
	}
	return r.stream.Read(p)
}

func (r *rangeReader) Close() error {
	if r.stream != nil {
		return r.stream.Close()
	}
	return nil
}
