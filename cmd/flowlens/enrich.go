package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/enrich/ec2src"
	"github.com/flowlens/flowlens/flowlog"
)

// enrichFlags are the inventory flags of every command that reads flow logs (report, cost, sql,
// query, cat, convert): --enrich, --tag-keys and --enrich-from-aws.
type enrichFlags struct {
	files   []string
	tagKeys []string
	fromAWS bool
	cache   string
	fs      *pflag.FlagSet
}

// enrichFailed is an inventory that could not be had (a file unreadable, the EC2 API refusing):
// a failure of the run, not of its flags.
type enrichFailed struct{ err error }

func (e *enrichFailed) Error() string { return e.err.Error() }
func (e *enrichFailed) Unwrap() error { return e.err }

// optionsError reports an error of decodeFlags.options: a failure (exit 1) for an inventory that
// could not be had, a usage error otherwise.
func optionsError(name string, err error) int {
	var ef *enrichFailed
	if errors.As(err, &ef) {
		return fail(name, ef.err)
	}
	return usageError(name, "%v", err)
}

func (e *enrichFlags) add(fs *pflag.FlagSet) {
	e.fs = fs
	fs.StringSliceVar(&e.files, "enrich", nil, "AWS inventory: the JSON of aws ec2 describe-network-interfaces, describe-instances, describe-subnets, describe-vpcs, "+
		"describe-vpc-endpoints, describe-nat-gateways, describe-transit-gateway-attachments (files, comma-separated or repeated): adds interface_name, interface_type, src_name, dst_name, … (flowlens help fields)")
	fs.StringSliceVar(&e.tagKeys, "tag-keys", nil, "with --enrich: tag keys whose values become columns tag_KEY, src_tag_KEY and dst_tag_KEY (comma-separated, at most 8)")
	fs.BoolVar(&e.fromAWS, "enrich-from-aws", false, "fetch the inventory through the read-only EC2 describe calls (credential chain, --region, --profile, --endpoint-url), "+
		"save it to --enrich-cache and enrich from it as from --enrich")
	fs.StringVar(&e.cache, "enrich-cache", "", "with --enrich-from-aws: the file the fetched inventory is written to (default: flowlens/enrich/inventory-REGION….json in the user cache directory)")
}

// flag returns the value of the command's flag name ("" when it has none).
func (e *enrichFlags) flag(name string) string {
	if f := e.fs.Lookup(name); f != nil {
		return strings.TrimSpace(f.Value.String())
	}
	return ""
}

// fetch calls the EC2 API, writes the answer to the cache file and returns its path.
func (e *enrichFlags) fetch(ctx context.Context) (string, error) {
	opts := ec2src.Options{Region: e.flag("region"), Profile: e.flag("profile"), EndpointURL: e.flag("endpoint-url")}
	snap, err := ec2src.Fetch(ctx, opts)
	if err != nil {
		return "", &enrichFailed{fmt.Errorf("--enrich-from-aws: %w", err)}
	}
	path := e.cache
	if path == "" {
		if path, err = ec2src.DefaultCachePath(snap.Region, opts.Profile, opts.EndpointURL); err != nil {
			return "", &enrichFailed{fmt.Errorf("--enrich-from-aws: %w", err)}
		}
	}
	if err := snap.Save(path); err != nil {
		return "", &enrichFailed{fmt.Errorf("--enrich-from-aws: %w", err)}
	}
	if e.flag("quiet") != "true" {
		fmt.Fprintf(stderr, "flowlens: enrichment: inventory of %s fetched from the EC2 API at %s (%s), written to %s (give it with --enrich to use it again without calling AWS)\n",
			snap.Region, snap.TakenAt.Format("2006-01-02T15:04:05Z07:00"), snap.Summary(), path)
	}
	return path, nil
}

// deriver loads the inventory the flags name, fetching it first with --enrich-from-aws; nil
// without either.
func (e *enrichFlags) deriver(ctx context.Context) (*enrich.Deriver, error) {
	byTag := e.flag("by-tag")
	if e.cache != "" && !e.fromAWS {
		return nil, fmt.Errorf("--enrich-cache is where --enrich-from-aws writes the inventory: give --enrich-from-aws, or read a saved one with --enrich FILE")
	}
	if len(e.files) == 0 && !e.fromAWS {
		if len(e.tagKeys) > 0 {
			return nil, fmt.Errorf("--tag-keys needs an inventory: give --enrich FILE… or --enrich-from-aws")
		}
		if byTag != "" {
			return nil, fmt.Errorf("--by-tag needs an inventory: give --enrich FILE… or --enrich-from-aws")
		}
		return nil, nil
	}
	var keys []string
	if byTag != "" {
		keys = append(keys, byTag)
	}
	for _, k := range e.tagKeys {
		if k = strings.TrimSpace(k); k != "" && k != byTag {
			keys = append(keys, k)
		}
	}
	files := e.files
	if e.fromAWS {
		path, err := e.fetch(ctx)
		if err != nil {
			return nil, err
		}
		files = append(slices.Clone(files), path)
	}
	inv, err := enrich.Load(files...)
	if err != nil {
		return nil, &enrichFailed{fmt.Errorf("--enrich: %w", err)}
	}
	return enrich.NewDeriver(inv, keys)
}

// enrichNote says when the inventory was taken and how many rows' interfaces and addresses it
// did not hold; "" without enrichment.
func enrichNote(opts flowlog.Options) string {
	d, ok := opts.Derive.(*enrich.Deriver)
	if !ok || d == nil {
		return ""
	}
	return enrichText(d)
}

func enrichText(d *enrich.Deriver) string {
	c := d.Counts()
	var b strings.Builder
	fmt.Fprintf(&b, "enrichment: %s", d.Inventory().Summary())
	if n := c.InterfaceRows.Load(); n > 0 {
		fmt.Fprintf(&b, "; interfaces of %d of %d rows not in it", c.InterfaceMissing.Load(), n)
	}
	if n := c.SrcRows.Load(); n > 0 {
		fmt.Fprintf(&b, "; source addresses of %d of %d rows not in it", c.SrcMissing.Load(), n)
	}
	if n := c.DstRows.Load(); n > 0 {
		fmt.Fprintf(&b, "; destination addresses of %d of %d rows not in it", c.DstMissing.Load(), n)
	}
	if c.InterfaceRows.Load()+c.SrcRows.Load()+c.DstRows.Load() == 0 {
		b.WriteString("; no enriched column was read")
	}
	return b.String()
}

// printEnrichNote writes enrichNote to w, when there is one.
func printEnrichNote(w io.Writer, opts flowlog.Options) {
	if n := enrichNote(opts); n != "" {
		fmt.Fprintf(w, "flowlens: %s\n", n)
	}
}
