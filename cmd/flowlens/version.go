package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/flowlens/flowlens/flowlog"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

var versionCmd = &command{
	name:  "version",
	usage: "",
	short: "print the version, the Go version and the gzip decompressor in use",
	flags: func(fs *pflag.FlagSet) func(context.Context, []string) int {
		return func(_ context.Context, args []string) int {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(stdout, "flowlens %s (%s, %s/%s, gzip: %s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, flowlog.GzipBackend)
			return exitOK
		}
	},
}
