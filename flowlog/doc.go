// Package flowlog decodes VPC Flow Logs, gzip or plain text and Parquet, into Apache Arrow record
// batches, and finds the objects to read.
//
// Its input is what AWS delivers to S3 (gzip text whose first line is a header) or what CloudWatch
// exports (no header; lines maybe prefixed with a timestamp or wrapped in JSON):
//
//	version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
//	2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
//	2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
//
// Fields lists every field of versions 2–11 and of the Transit Gateway layout. A Layout is the field
// order of lines. Decoder is the pure part: it turns blocks of whole lines into batches with typed
// columns (addresses as 16 bytes, strings dictionary-encoded, "-" as null), reusing its buffers, and
// accounts for every line (Stats). DecodeStream adds gzip detection and parallel decoding of one
// stream (through klauspost/compress, or ISA-L's igzip with the isal build tag); DecodeParquet and
// OpenParquet read Parquet objects by row groups, in place. DecodeSources reads local files,
// directories, globs and stdin; Walk and ParseObjectKey know the S3 key layouts
// (AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD[/HH]/ and the Hive form), so that a time range,
// accounts and regions select objects before they are read. BufferPool reuses the buffers of
// released batches. The fields, layouts and types are described in docs/format.md; the s3://
// sources are in flowlog/s3src and a generator of realistic objects in flowlog/synth.
package flowlog
