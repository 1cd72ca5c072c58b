// Command genranges writes cost/ipranges.txt.gz, the subset of AWS's ip-ranges.json that
// flowlens embeds to classify the far end of NAT traffic.
//
// Usage, from the repository root:
//
//	go run ./cost/internal/genranges PATH/ip-ranges.json
//
// Only the services AMAZON, S3 and DYNAMODB are kept: S3 and DYNAMODB decide whether traffic could move
// to a free gateway endpoint, and AMAZON is the superset of every AWS range, so it marks "other AWS
// service" (an interface endpoint candidate). The other service codes (EC2, CLOUDFRONT, ...) are all
// also listed under AMAZON and would only make the file bigger.
//
// The output is gzip-compressed text, deterministic for a given input (sorted lines, no gzip name or
// modification time), so regenerating from the same ip-ranges.json yields the same bytes and a diff of
// the embedded file means the ranges really changed:
//
//	createDate 2026-08-22-15-17-05
//	3.4.12.4/32 eu-west-1 AMAZON
//	...
//
// IPv4 prefixes come first, then IPv6, each ordered by address, then prefix length, service and region.
// Prefixes are written in canonical form (host bits cleared), as cost.LoadRanges also reads them.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flowlens/flowlens/cost"
)

// out is the file written, relative to this package's directory; main resolves it from the working
// directory so that `go run` works both from the repository root and from cost.
const out = "ipranges.txt.gz"

var keep = map[string]bool{"AMAZON": true, "S3": true, "DYNAMODB": true}

type line struct {
	p       netip.Prefix
	region  string
	service string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./cost/internal/genranges PATH/ip-ranges.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genranges:", err)
		os.Exit(1)
	}
}

func run(in string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var doc cost.RangesFile
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if doc.CreateDate == "" || strings.ContainsAny(doc.CreateDate, " \t\n") {
		return fmt.Errorf("%s: missing or malformed createDate %q", in, doc.CreateDate)
	}
	var lines []line
	add := func(s, region, service string) error {
		if !keep[service] {
			return nil
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		if region == "" || strings.ContainsAny(region, " \t\n") {
			return fmt.Errorf("%s: prefix %s: bad region %q", in, s, region)
		}
		lines = append(lines, line{p.Masked(), region, service})
		return nil
	}
	for _, p := range doc.Prefixes {
		if err := add(p.IPPrefix, p.Region, p.Service); err != nil {
			return err
		}
	}
	for _, p := range doc.IPv6Prefixes {
		if err := add(p.IPv6Prefix, p.Region, p.Service); err != nil {
			return err
		}
	}
	slices.SortFunc(lines, func(a, b line) int {
		if c := a.p.Addr().Compare(b.p.Addr()); c != 0 { // IPv4 sorts before IPv6
			return c
		}
		if c := a.p.Bits() - b.p.Bits(); c != 0 {
			return c
		}
		if c := strings.Compare(a.service, b.service); c != 0 {
			return c
		}
		return strings.Compare(a.region, b.region)
	})
	lines = slices.Compact(lines) // AWS occasionally repeats an entry; once is enough

	dst := out
	if _, err := os.Stat(filepath.Join("aggregate", "cost")); err == nil {
		dst = filepath.Join("aggregate", "cost", out) // run from the repository root
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "createDate %s\n", doc.CreateDate)
	var n4, n6 int
	for _, l := range lines {
		fmt.Fprintf(w, "%s %s %s\n", l.p, l.region, l.service)
		if l.p.Addr().Is4() {
			n4++
		} else {
			n6++
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, err := os.Stat(dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "genranges: wrote %s: createDate %s, %d IPv4 + %d IPv6 prefixes, %d bytes\n",
		dst, doc.CreateDate, n4, n6, st.Size())
	return nil
}
