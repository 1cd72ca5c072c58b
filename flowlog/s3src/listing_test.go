package s3src_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
	"github.com/flowlens/flowlens/internal/s3test"
)

// TestListingFaults: listings that would never end, and answers that are not listings, are errors
// that name the prefix.
func TestListingFaults(t *testing.T) {
	page := func(w http.ResponseWriter, r *http.Request, keys int, next string) {
		p := s3test.ListPage{Name: "b", Prefix: r.URL.Query().Get("prefix"), MaxKeys: 1000, KeyCount: keys, IsTruncated: true, NextContinuationToken: next}
		tok := r.URL.Query().Get("continuation-token")
		for i := range keys {
			p.Contents = append(p.Contents, s3test.ListEntry{Key: fmt.Sprintf("%sflows-%s-%d.log", p.Prefix, tok, i), Size: 100, ETag: `"e"`})
		}
		s3test.WriteXML(w, p)
	}
	var pages atomic.Int64
	for _, tc := range []struct {
		name string
		list http.HandlerFunc
		opts s3src.Options
		want string
	}{
		{"repeated token", func(w http.ResponseWriter, r *http.Request) { page(w, r, 1, "again") }, s3src.Options{},
			`cannot list s3://b/logs/: page 2 repeats the continuation token "again" of an earlier page: the listing would never end`},
		{"cycle of tokens", func(w http.ResponseWriter, r *http.Request) {
			page(w, r, 1, map[string]string{"": "a", "a": "b", "b": "c", "c": "a"}[r.URL.Query().Get("continuation-token")])
		}, s3src.Options{}, `cannot list s3://b/logs/: page 7 repeats the continuation token "a" of an earlier page`},
		{"truncated without a token", func(w http.ResponseWriter, r *http.Request) { page(w, r, 1, "") }, s3src.Options{},
			"cannot list s3://b/logs/: page 1 is truncated but gives no continuation token"},
		{"endless", func(w http.ResponseWriter, r *http.Request) { page(w, r, 100, strconv.FormatInt(pages.Add(1), 10)) }, s3src.Options{MaxListKeys: 5000},
			"cannot list s3://b/logs/: more than 5000 keys listed (the listing limit)"},
		{"not a listing", func(w http.ResponseWriter, r *http.Request) {
			s3test.WriteXML(w, struct {
				XMLName xml.Name `xml:"ListAllMyBucketsResult"`
				Owner   string
			}{Owner: "me"})
		}, s3src.Options{}, "cannot list s3://b/logs/: the server answered with <ListAllMyBucketsResult>, not a <ListBucketResult>"},
		{"empty answer", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }, s3src.Options{},
			"cannot list s3://b/logs/: the server answered with an empty body, not a <ListBucketResult>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := serve(t, tc.list)
			c := fakeClient(t, url, tc.opts)
			within(t, 10*time.Second, func() {
				_, _, err := c.Expand(context.Background(), "s3://b/logs/", flowlog.Selection{})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("got %v, want %q", err, tc.want)
				}
			})
		})
	}
}
