package query

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/flowlens/flowlens/internal/units"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the report as text tables for a reader at a terminal.
func (r *Report) WriteTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	in := r.Input
	p("flowlens report (times in %s)\n", r.TimeZone)
	if r.Range.From != nil || r.Range.To != nil {
		p("range: %s to %s\n", orDash(r.Range.From), orDash(r.Range.To))
	}
	p("\nINPUT\n")
	p("  objects %s (%s failed, %s skipped by their key's time), %s read, %s of text\n",
		num(in.Objects), num(in.ObjectsFailed), num(int64(in.ObjectsSkipped)), SI(in.BytesRead), SI(in.BytesText))
	p("  lines %s: records %s, NODATA %s, SKIPDATA %s, headers %s, blank %s, malformed %s\n",
		num(in.Lines), num(in.Records), num(in.NoData), num(in.SkipData), num(in.Headers), num(in.Blank), num(in.Malformed))
	if in.RowsSkipped > 0 {
		p("  Parquet rows skipped unread %s (row groups whose start times lie outside the range)\n", num(in.RowsSkipped))
	}
	if in.RecordsOutOfRange > 0 {
		p("  records in range %s, outside it %s\n", num(in.RecordsInRange), num(in.RecordsOutOfRange))
	}
	if in.FirstStart != nil {
		p("  time span %s to %s\n", *in.FirstStart, orDash(in.LastEnd))
	}
	for _, m := range in.MalformedLines {
		p("  malformed: %v\n", m)
	}
	if in.Malformed > int64(len(in.MalformedLines)) {
		p("  … and %s more malformed lines\n", num(in.Malformed-int64(len(in.MalformedLines))))
	}
	for _, f := range in.FailedObjects {
		p("  FAILED %s: %s\n", f.Object, f.Error)
	}
	t := r.Totals
	p("\nTOTALS  %s, %s packets, %s flows (%s accepted, %s rejected)\n",
		SI(t.Bytes), num(t.Packets), num(t.Flows), num(t.AcceptedFlows), num(t.RejectedFlows))

	tw := tabwriter.NewWriter(bw, 2, 8, 2, ' ', tabwriter.AlignRight)
	section := func(title string, header string) {
		tw.Flush()
		p("\n%s\n", title)
		fmt.Fprintln(tw, header)
	}
	section("TOP INTERFACES BY BYTES", "interface\tbytes\tpackets\tflows\taccepted\trejected\tfirst seen\tlast seen\tpeak hour\t")
	for _, d := range r.Interfaces {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", orDash(d.InterfaceID), SI(d.Bytes), num(d.Packets), num(d.Flows),
			num(d.AcceptedFlows), num(d.RejectedFlows), orDash(d.FirstSeen), orDash(d.LastSeen), orDash(d.PeakHour))
	}
	section("TOP SOURCES (bytes out)", "srcaddr\tbytes\tpackets\tflows\t")
	for _, d := range r.Sources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", orDash(d.SrcAddr), SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	section("TOP DESTINATIONS (bytes in)", "dstaddr\tbytes\tpackets\tflows\t")
	for _, d := range r.Destinations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", orDash(d.DstAddr), SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	section("TOP CONVERSATIONS", "srcaddr\tdstaddr\tbytes\tpackets\tflows\t")
	for _, d := range r.Conversations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", orDash(d.SrcAddr), orDash(d.DstAddr), SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	section("BUSIEST HOURS", "hour\tbytes\tpackets\tflows\t")
	for _, d := range r.BusiestHours {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", d.Hour, SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	if len(r.HourOfDay) > 0 {
		section(fmt.Sprintf("HOUR OF DAY (mean bytes over %d days)", r.HourOfDay[0].Days), "hour\tmean bytes\t")
		for _, d := range r.HourOfDay {
			fmt.Fprintf(tw, "%02d\t%s\t\n", d.Hour, SI(int64(d.MeanBytes+0.5)))
		}
	}
	rj := r.Rejects
	tw.Flush()
	p("\nREJECTS  %s flows, %s packets, %s\n", num(rj.Flows), num(rj.Packets), SI(rj.Bytes))
	section("  top rejected sources", "srcaddr\tflows\tpackets\tbytes\t")
	for _, d := range rj.TopSources {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", orDash(d.SrcAddr), num(d.Flows), num(d.Packets), SI(d.Bytes))
	}
	section("  top rejected destination ports", "dstport\tprotocol\tflows\tpackets\tbytes\t")
	for _, d := range rj.TopDstPorts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", intOrDash(d.DstPort), protoText(d.Protocol), num(d.Flows), num(d.Packets), SI(d.Bytes))
	}
	section("  interfaces by reject ratio", "interface\tflows\trejected\tratio\t")
	for _, d := range rj.InterfacesByRejectRatio {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f%%\t\n", orDash(d.InterfaceID), num(d.Flows), num(d.RejectedFlows), 100*d.RejectRatio)
	}
	if len(rj.Reasons) > 0 {
		section("  reject reasons", "reject-reason\tflows\tpackets\tbytes\t")
		for _, d := range rj.Reasons {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", orDash(d.RejectReason), num(d.Flows), num(d.Packets), SI(d.Bytes))
		}
	}
	section("TOP DESTINATION PORTS BY BYTES", "dstport\tprotocol\tbytes\tpackets\tflows\t")
	for _, d := range r.Ports {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", intOrDash(d.DstPort), protoText(d.Protocol), SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	section("PROTOCOLS", "protocol\tbytes\tpackets\tflows\t")
	for _, d := range r.Protocols {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", protoText(d.Protocol), SI(d.Bytes), num(d.Packets), num(d.Flows))
	}
	tw.Flush()
	if r.NAT != nil {
		p("\nNAT GATEWAYS\n")
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := r.NAT.WriteTable(w); err != nil {
			return err
		}
	}
	p("\n")
	for _, n := range r.Notes {
		p("note: %s\n", n)
	}
	for _, u := range r.Unavailable {
		p("unavailable: %s\n", u)
	}
	return bw.Flush()
}

func orDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func intOrDash(v *int64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatInt(*v, 10)
}

func protoText(v *int64) string {
	if v == nil {
		return "-"
	}
	if n := ProtocolName(int(*v)); n != "" {
		return n
	}
	return strconv.FormatInt(*v, 10)
}

// num writes an integer with thousands separators.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// SI writes a byte count in decimal units (1 GB = 10^9 bytes, as AWS bills).
func SI(n int64) string { return units.Decimal(n) }
