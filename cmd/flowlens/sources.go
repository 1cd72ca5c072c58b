package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
	"github.com/flowlens/flowlens/flowlog/s3src"
)

// s3Flags are the flags of every command that reads sources, for s3:// URIs.
type s3Flags struct {
	profile      string
	region       string
	bucketRegion string
	endpoint     string
	noSign       bool
	accounts     []string
	timeouts     [3]time.Duration // connect, response headers, read idle
}

func (f *s3Flags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.profile, "profile", "", "AWS profile of the shared config files (s3:// sources, --enrich-from-aws)")
	fs.StringVar(&f.region, "region", "", "only flow logs of this region (key layout); also the default region of S3 requests and the region of --enrich-from-aws")
	fs.StringVar(&f.bucketRegion, "bucket-region", "", "region of the bucket when it differs from --region")
	fs.StringVar(&f.endpoint, "endpoint-url", "", "S3-compatible endpoint (MinIO, Ceph, versitygw), path-style addressing; with --enrich-from-aws, also the EC2 endpoint")
	fs.BoolVar(&f.noSign, "no-sign-request", false, "anonymous S3 requests (public buckets)")
	fs.StringSliceVar(&f.accounts, "account", nil, "only flow logs of these accounts (key layout; comma-separated or repeated)")
	fs.DurationVar(&f.timeouts[0], "s3-connect-timeout", 10*time.Second, "S3: time to open a connection before the request is retried")
	fs.DurationVar(&f.timeouts[1], "s3-header-timeout", 30*time.Second, "S3: time from a request to its response headers before it is retried")
	fs.DurationVar(&f.timeouts[2], "s3-idle-timeout", time.Minute, "S3: time without a byte on a connection (a stalled body) before it is retried or resumed")
}

// expandSources turns arguments into sources: s3:// URIs are listed and local directories walked
// alike (flowlog.Walk: only the day folders of the range below an AWS key layout), files taken as
// they are; objects whose keys lie outside the range, accounts or region are dropped and counted.
func expandSources(ctx context.Context, args []string, f *s3Flags, from, to time.Time, late time.Duration) ([]flowlog.Source, int, error) {
	sel := flowlog.Selection{From: from, To: to, Late: late, Accounts: f.accounts}
	if f.region != "" {
		sel.Regions = []string{f.region}
	}
	var out []flowlog.Source
	var client *s3src.Client
	skipped := 0
	for _, a := range args {
		var srcs []flowlog.Source
		var n int
		var err error
		if s3src.IsURI(a) {
			if client == nil {
				region := f.bucketRegion
				if region == "" {
					region = f.region
				}
				client, err = s3src.New(ctx, s3src.Options{Profile: f.profile, Region: region, EndpointURL: f.endpoint, NoSignRequest: f.noSign,
					ConnectTimeout: f.timeouts[0], ResponseHeaderTimeout: f.timeouts[1], ReadIdleTimeout: f.timeouts[2]})
				if err != nil {
					return nil, 0, err
				}
			}
			srcs, n, err = client.Expand(ctx, a, sel)
		} else {
			srcs, n, err = flowlog.ExpandLocalSelect(ctx, []string{a}, sel)
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, srcs...)
		skipped += n
	}
	return out, skipped, nil
}
