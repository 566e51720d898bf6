package daemon

import "testing"

// TestMemoryLimit checks which soft memory limit Run sets: the option, the
// default, none, and GOMEMLIMIT winning over all of them.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    string
		option int64
		want   int64
	}{
		{name: "default", want: DefaultMemoryLimit},
		{name: "option", option: 2 << 30, want: 2 << 30},
		{name: "off", option: -1, want: 0},
		{name: "GOMEMLIMIT wins", env: "1GiB", option: 2 << 30, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.env)
			d := &Daemon{opts: Options{MemoryLimit: tc.option}}
			if got, _ := d.memoryLimit(); got != tc.want {
				t.Errorf("memoryLimit() = %d, want %d", got, tc.want)
			}
		})
	}
}
