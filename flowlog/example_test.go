package flowlog_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/flowlens/flowlens/flowlog"
)

// Decoding one object (plain text here; gzip is detected from its first bytes) into Arrow record
// batches, with the accounting of every line read. A NODATA line is a row too, with nulls and
// log_status NODATA; it is counted apart from the records.
func ExampleDecodeStream() {
	object := `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
`
	st, err := flowlog.DecodeStream(context.Background(), strings.NewReader(object), "example.log", flowlog.Options{},
		func(rec arrow.RecordBatch) error {
			schema := rec.Schema()
			bytes := rec.Column(schema.FieldIndices("bytes")[0]).(*array.Int64)
			action := rec.Column(schema.FieldIndices("action")[0])
			for i := 0; i < int(rec.NumRows()); i++ {
				fmt.Printf("row %d: bytes=%s action=%s\n", i, bytes.ValueStr(i), action.ValueStr(i))
			}
			return nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d lines: %d headers, %d records, %d NODATA\n", st.Lines, st.Headers, st.Records, st.NoData)
	// Output:
	// row 0: bytes=4249 action=ACCEPT
	// row 1: bytes=4249 action=REJECT
	// row 2: bytes=(null) action=(null)
	// 4 lines: 1 headers, 2 records, 1 NODATA
}
