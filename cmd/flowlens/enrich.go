package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/enrich"
	"github.com/flowlens/flowlens/flowlog"
)

// enrichFlags are the inventory flags of every command that reads flow logs (report, cost, sql,
// query, cat, convert): --enrich, --tag-keys and --enrich-from-aws.
type enrichFlags struct {
	files   []string
	tagKeys []string
	fs      *pflag.FlagSet
}

func (e *enrichFlags) add(fs *pflag.FlagSet) {
	e.fs = fs
	fs.StringSliceVar(&e.files, "enrich", nil, "AWS inventory: the JSON of aws ec2 describe-network-interfaces, describe-instances, describe-subnets, describe-vpcs, "+
		"describe-vpc-endpoints, describe-nat-gateways, describe-transit-gateway-attachments (files, comma-separated or repeated): adds interface_name, interface_type, src_name, dst_name, … (flowlens help fields)")
	fs.StringSliceVar(&e.tagKeys, "tag-keys", nil, "with --enrich: tag keys whose values become columns tag_KEY, src_tag_KEY and dst_tag_KEY (comma-separated, at most 8)")
}

// deriver loads the inventory the flags name; nil without --enrich.
func (e *enrichFlags) deriver() (*enrich.Deriver, error) {
	byTag := ""
	if f := e.fs.Lookup("by-tag"); f != nil {
		byTag = strings.TrimSpace(f.Value.String())
	}
	if len(e.files) == 0 {
		if len(e.tagKeys) > 0 {
			return nil, fmt.Errorf("--tag-keys needs an inventory: give --enrich FILE…")
		}
		if byTag != "" {
			return nil, fmt.Errorf("--by-tag needs an inventory: give --enrich FILE…")
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
	inv, err := enrich.Load(e.files...)
	if err != nil {
		return nil, fmt.Errorf("--enrich: %w", err)
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
