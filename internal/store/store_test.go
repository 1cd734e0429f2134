package store

import "testing"

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix, want string
		bounded            bool
	}{
		{name: "empty", prefix: "", bounded: false},
		{name: "ascii", prefix: "ab", want: "ac", bounded: true},
		{name: "trailing 0xff", prefix: "a\xff\xff", want: "b", bounded: true},
		{name: "all 0xff", prefix: "\xff\xff", bounded: false},
		{name: "0x7f", prefix: "a\x7f", want: "a\x80", bounded: true},
		{name: "percent", prefix: "%", want: "&", bounded: true},
		{name: "nul", prefix: "a\x00", want: "a\x01", bounded: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := PrefixEnd(tc.prefix)
			if got != tc.want || ok != tc.bounded {
				t.Errorf("PrefixEnd(%q) = %q, %t; want %q, %t", tc.prefix, got, ok, tc.want, tc.bounded)
			}
		})
	}
}
