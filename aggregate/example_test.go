package aggregate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flowlens/flowlens/aggregate"
	"github.com/flowlens/flowlens/flowlog"
)

// A group-by: bytes, packets and flows per source address over the records of an object, with the
// rejected flows counted apart, and the top two sources by bytes.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "flowlens-example-")
	defer os.RemoveAll(dir)
	object := filepath.Join(dir, "flows.log")
	os.WriteFile(object, []byte(`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.22 20642 443 6 10 1000 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 10.0.0.7 172.31.9.12 49762 3389 6 1 40 1418530010 1418530070 REJECT OK
`), 0o644)

	e, err := aggregate.New(aggregate.Config{Specs: []aggregate.Spec{{
		Name:     "sources",
		Keys:     []aggregate.Key{{Field: flowlog.FSrcAddr}},
		Measures: []aggregate.Measure{aggregate.Bytes, aggregate.Packets, aggregate.Flows, aggregate.RejectFlows},
	}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	sources, _ := flowlog.ExpandLocal([]string{dir})
	res, st, failed, err := aggregate.Run(context.Background(), e, sources, flowlog.Options{}, 2, nil)
	if err != nil || len(failed) > 0 {
		fmt.Println(err, failed)
		return
	}
	t := res.Table("sources")
	for _, g := range t.Top(2, aggregate.Bytes) {
		fmt.Printf("%s: %d bytes, %d packets, %d flows, %d rejected\n", t.KeyOf(g, flowlog.FSrcAddr),
			t.Value(g, aggregate.Bytes), t.Value(g, aggregate.Packets), t.Value(g, aggregate.Flows), t.Value(g, aggregate.RejectFlows))
	}
	fmt.Printf("%d records, %d groups\n", st.Records, t.Len())
	// Output:
	// 172.31.16.139: 5249 bytes, 30 packets, 2 flows, 0 rejected
	// 172.31.9.69: 4249 bytes, 20 packets, 1 flows, 1 rejected
	// 4 records, 3 groups
}
