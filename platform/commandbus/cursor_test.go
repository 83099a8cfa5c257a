package commandbus

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCursorFormat(t *testing.T) {
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	long := strings.Repeat("c", 200) // longer than the stack buffer
	cases := []struct {
		ts   time.Time
		id   string
		want string
	}{
		{ts, "cmd_1", "0001767225600000:cmd_1"},
		{ts.Add(1500 * time.Microsecond), "x", "0001767225600001:x"},
		{time.UnixMilli(-5), "x", "-000000000000005:x"},
		{ts, long, "0001767225600000:" + long},
	}
	for _, c := range cases {
		if got := Cursor(c.ts, c.id); got != c.want {
			t.Errorf("Cursor(%s, %.10q…) = %q, want %q", c.ts, c.id, got, c.want)
		}
		if c.ts.UnixMilli() >= 0 {
			if fmtWant := fmt.Sprintf("%016d:%s", c.ts.UnixMilli(), c.id); c.want != fmtWant {
				t.Errorf("case %q is not fmt's %%016d form %q", c.want, fmtWant)
			}
		}
	}
}
