package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/cost/pricelist"
)

var pricesCmd = &command{
	name:  "prices",
	usage: "fetch [--region R…] -o FILE",
	short: "fetch current NAT gateway, endpoint and data-transfer prices from the AWS Price List API",
	long: `'flowlens prices fetch' asks the AWS Price List API (GetProducts; the standard AWS credential chain,
--profile; the caller needs pricing:GetProducts) for the current prices of zonal and regional NAT
gateways, interface endpoints (per AZ-hour and tiered per GB), inter-AZ transfer and internet egress,
and writes them as a pricing file that --pricing reads (report, cost, cost --estimate; docs/cost.md).
--region picks the regions to price (all that the API prices when none is given); the first one also
gives the endpoint, inter-AZ and egress prices. Entries the API answers that cannot be read are
skipped and counted on stderr, never silently.

Examples:
  flowlens prices fetch --region us-west-2 -o prices.json && flowlens report --pricing prices.json flows/
  flowlens prices fetch -o all-regions.json
  flowlens prices fetch --region me-central-1,eu-central-2 --profile billing -o prices.json`,
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		regions := fs.StringSlice("region", nil, "regions to price (comma-separated or repeated); default: every region the API prices")
		apiRegion := fs.String("api-region", pricelist.DefaultAPIRegion, "region of the Price List API endpoint: us-east-1, eu-central-1 or ap-south-1")
		profile := fs.String("profile", "", "AWS profile of the shared config files")
		endpoint := fs.String("endpoint-url", "", "Price List API endpoint (a proxy or a test server)")
		out := fs.StringP("output", "o", "", "write the pricing file to FILE (atomically) instead of stdout")
		quiet := fs.BoolP("quiet", "q", false, "no warnings but errors")
		return func(ctx context.Context, args []string) int {
			if len(args) != 1 || args[0] != "fetch" {
				return usageError("prices", "want 'flowlens prices fetch [--region R…] -o FILE'")
			}
			f, err := pricelist.Fetch(ctx, pricelist.Options{Region: *apiRegion, Profile: *profile, EndpointURL: *endpoint, Regions: *regions})
			if err != nil {
				return fail("prices", err)
			}
			w, done, err := openOutput(*out)
			if err != nil {
				return fail("prices", err)
			}
			err = f.Encode(w)
			if err2 := done(err == nil); err == nil {
				err = err2
			}
			if err != nil {
				return fail("prices", err)
			}
			if !*quiet {
				for _, m := range f.Warnings {
					fmt.Fprintf(stderr, "flowlens prices: warning: %s\n", m)
				}
				fmt.Fprintf(stderr, "flowlens prices: %d regions priced (%d entries skipped)\n", len(f.Regions), f.Skipped)
			}
			return exitOK
		}
	},
}
