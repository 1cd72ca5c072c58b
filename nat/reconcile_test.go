package nat

import "testing"

// The usage types of the CUR and the line of the transfer section each is compared with, with
// the region prefix read.
func TestCURLine(t *testing.T) {
	for _, c := range []struct{ usage, kind, code string }{
		{"NatGateway-Hours", LineNATHours, ""},
		{"USE2-NatGateway-Hours", LineNATHours, "USE2"},
		{"EU-NatGateway-Bytes", LineNATBytes, "EU"},
		{"APN1-RegionalNatGateway-Hours", LineNATHours, "APN1"},
		{"EUC1-DataTransfer-Regional-Bytes", LineInterAZ, "EUC1"},
		{"USE1-DataTransfer-xAZ-In-Bytes", LineInterAZ, "USE1"},
		{"USE1-DataTransfer-xAZ-Out-Bytes", LineInterAZ, "USE1"},
		{"DataTransfer-Out-Bytes", LineInternet, ""},
		{"APS3-DataTransfer-Out-Bytes", LineInternet, "APS3"},
		{"USE2-APS3-AWS-Out-Bytes", LineInterRegion, "USE2"},
		{"APS3-USE2-AWS-In-Bytes", "", "APS3"}, // the receiving side: not billed
		{"USE1-AWS-Out-Bytes", "", "USE1"},     // VPC peering across regions: not estimated
		{"DataTransfer-In-Bytes", "", ""},
		{"USE1-TransitGateway-Bytes", LineTransitGW, "USE1"},
		{"USE1-TransitGateway-Hours", "", "USE1"},
		{"USE1-PublicIPv4:InUseAddress", LineNATPublicIPv4, "USE1"},
		{"USE1-PublicIPv4:IdleAddress", "", "USE1"},
		{"BoxUsage:t3.micro", "", ""},
		{"MXC1-NatGateway-Bytes", LineNATBytes, "MXC1"},
	} {
		kind, code := curLine(c.usage)
		if kind != c.kind || code != c.code {
			t.Errorf("%s: line %q prefix %q, want %q %q", c.usage, kind, code, c.kind, c.code)
		}
	}
}

// Span.Bounds: the range asked for, else the hours of the first and last records' starts.
func TestSpanBounds(t *testing.T) {
	for _, c := range []struct {
		s      Span
		lo, hi int64
	}{
		{Span{From: 3600, To: 7200}, 3600, 7200},
		{Span{FirstStart: 3700, LastStart: 10900}, 3600, 14400},
		{Span{From: 0, To: 7200, FirstStart: 3700, LastStart: 3800}, 3600, 7200},
		{Span{}, 0, 0},
	} {
		if lo, hi := c.s.Bounds(); lo != c.lo || hi != c.hi {
			t.Errorf("%+v: %d %d, want %d %d", c.s, lo, hi, c.lo, c.hi)
		}
	}
}
