package output

import (
	"strings"
	"testing"
)

func TestWriteCSVRows(t *testing.T) {
	type inner struct {
		Addr  string   `json:"address"`
		Bytes int64    `json:"bytes"`
		Cost  *float64 `json:"cost"`
	}
	type row struct {
		ID string `json:"interface_id"`
		inner
		List  []string       `json:"list"`
		Map   map[string]int `json:"map"`
		Ok    bool           `json:"ok"`
		Ratio float64        `json:"ratio"`
		Name  *string        `json:"name,omitempty"`
		skip  int
	}
	c, n := 1.25, "a,b"
	var b strings.Builder
	err := WriteCSVRows(&b, []row{{ID: "eni-1", inner: inner{"10.0.0.1", 42, &c}, Ok: true, Ratio: 0.5, Name: &n}, {ID: "eni-2"}})
	want := "interface_id,address,bytes,cost,ok,ratio,name\neni-1,10.0.0.1,42,1.25,true,0.5,\"a,b\"\neni-2,,0,,false,0,\n"
	if err != nil || b.String() != want {
		t.Errorf("got %q, %v\nwant %q", b.String(), err, want)
	}
	if err := WriteCSVRows(&b, row{}); err == nil {
		t.Error("a struct taken for rows")
	}
}
