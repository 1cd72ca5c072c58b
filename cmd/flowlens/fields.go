package main

import (
	"fmt"
	"io"

	"github.com/flowlens/flowlens/flowlog"
)

func fieldsHelp(w io.Writer) {
	fmt.Fprint(w, `Flow-log fields. A header line (the first line of every S3 text object) gives the fields of the lines
after it; without one, give them with --fields in either spelling ('${version} ${srcaddr} …' or
'version srcaddr …'). Without either, a line of 14 fields is read as the version 2 default layout, and a
line with as many fields as all fields up to a version (21 v3, 25 v4, 29 v5, 39 v7, 40 v8, 41 v9, 42 v10,
54 v11, in the order below) or as the Transit Gateway layout (36) is read with that list.

Types: string columns are dictionary-encoded; addresses are 16 bytes (IPv4 as ::ffff:a.b.c.d) and
print as text; "-" is null.

Fields of version 0 are never logged: --enrich computes them from an AWS inventory (docs/enrich.md),
and --tag-keys KEY adds tag_KEY, src_tag_KEY and dst_tag_KEY.

`)
	fmt.Fprintf(w, "%-28s %-28s %3s  %-10s %s\n", "FIELD", "COLUMN", "V", "TYPE", "MEANING")
	for _, f := range flowlog.Fields {
		fmt.Fprintf(w, "%-28s %-28s %3d  %-10s %s\n", f.Name, f.Column, f.Version, kindName(f.Kind), f.Doc)
	}
}

func kindName(k flowlog.Kind) string {
	switch k {
	case flowlog.KindAddr:
		return "address"
	case flowlog.KindPort:
		return "uint16"
	case flowlog.KindProto:
		return "uint8"
	case flowlog.KindInt32:
		return "int32"
	case flowlog.KindInt64:
		return "int64"
	case flowlog.KindTime:
		return "unix-time"
	}
	return "string"
}
