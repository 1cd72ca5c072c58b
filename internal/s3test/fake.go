package s3test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fake is an in-memory S3 server for fault tests, an http.Handler to serve on loopback (httptest):
// it answers ListObjectsV2 (prefix, delimiter, max-keys, continuation-token) and GetObject (Range,
// If-Match) of the objects Put into it, with path-style addresses, and checks no signature. A test
// wraps it in a handler that changes some answers; unlike a proxy in front of versitygw, the wrapper
// may rewrite a signed request (drop its Range, say) and still be answered.
type Fake struct {
	mu      sync.Mutex
	buckets map[string]map[string][]byte
}

// NewFake returns an empty fake server.
func NewFake() *Fake { return &Fake{buckets: map[string]map[string][]byte{}} }

// Put stores an object and returns its ETag (quoted, as S3 sends it).
func (f *Fake) Put(bucket, key string, body []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.buckets[bucket] == nil {
		f.buckets[bucket] = map[string][]byte{}
	}
	f.buckets[bucket][key] = body
	return ETag(body)
}

// ETag is the ETag S3 gives an object put in one part: its MD5, quoted.
func ETag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// ListPage is the answer to a ListObjectsV2 request.
type ListPage struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	ContinuationToken     string      `xml:",omitempty"`
	NextContinuationToken string      `xml:",omitempty"`
	Contents              []ListEntry `xml:"Contents"`
	CommonPrefixes        []ListDir   `xml:"CommonPrefixes"`
}

// ListEntry is an object of a ListPage.
type ListEntry struct {
	Key  string
	Size int64
	ETag string
}

// ListDir is a folder (a common prefix) of a ListPage.
type ListDir struct{ Prefix string }

// WriteXML answers a request with status 200 and v as an XML document.
func WriteXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, xml.Header)
	w.Write(b)
}

// WriteError answers a request with an S3 error.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	b, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
	io.WriteString(w, xml.Header)
	w.Write(b)
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f.mu.Lock()
	objects, ok := f.buckets[bucket]
	f.mu.Unlock()
	switch {
	case r.Method != http.MethodGet:
		WriteError(w, http.StatusNotImplemented, "NotImplemented", "the fake server answers GET only")
	case !ok:
		WriteError(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	case key == "" && r.URL.Query().Get("list-type") == "2":
		f.list(w, r, bucket, objects)
	case key == "":
		WriteError(w, http.StatusNotImplemented, "NotImplemented", "the fake server lists with ListObjectsV2 only")
	default:
		f.mu.Lock()
		body, ok := objects[key]
		f.mu.Unlock()
		if !ok {
			WriteError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		etag := ETag(body)
		if m := r.Header.Get("If-Match"); m != "" && m != etag {
			WriteError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/octet-stream")
		// ServeContent answers a Range with 206 and its Content-Range.
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}
}

func (f *Fake) list(w http.ResponseWriter, r *http.Request, bucket string, objects map[string][]byte) {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v, err := strconv.Atoi(q.Get("max-keys")); err == nil && v > 0 {
		maxKeys = v
	}
	after := ""
	if t := q.Get("continuation-token"); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			WriteError(w, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
			return
		}
		after = string(b)
	}
	f.mu.Lock()
	var keys []string
	for k := range objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	f.mu.Unlock()
	slices.Sort(keys)
	page := ListPage{Name: bucket, Prefix: prefix, Delimiter: delim, MaxKeys: maxKeys, ContinuationToken: q.Get("continuation-token")}
	last := ""
	for _, k := range keys {
		if k <= after {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				dir := k[:len(prefix)+i+len(delim)]
				if dir <= after || (len(page.CommonPrefixes) > 0 && page.CommonPrefixes[len(page.CommonPrefixes)-1].Prefix == dir) {
					continue
				}
				if page.KeyCount == maxKeys {
					page.IsTruncated = true
					break
				}
				page.CommonPrefixes = append(page.CommonPrefixes, ListDir{Prefix: dir})
				page.KeyCount++
				// The next page starts after every key of the folder.
				last = dir + "\xff"
				continue
			}
		}
		if page.KeyCount == maxKeys {
			page.IsTruncated = true
			break
		}
		f.mu.Lock()
		body := objects[k]
		f.mu.Unlock()
		page.Contents = append(page.Contents, ListEntry{Key: k, Size: int64(len(body)), ETag: ETag(body)})
		page.KeyCount++
		last = k
	}
	if page.IsTruncated {
		page.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
	}
	WriteXML(w, page)
}
