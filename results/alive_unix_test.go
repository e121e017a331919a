//go:build unix

package results

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestPendingAbandoned(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		p    Pending
		want bool
	}{
		{"this process", Pending{Status: StatusRunning, Host: host, PID: os.Getpid()}, false},
		{"a process that ended", Pending{Status: StatusRunning, Host: host, PID: dead.Process.Pid}, true},
		{"another host", Pending{Status: StatusRunning, Host: host + "-elsewhere", PID: dead.Process.Pid}, false},
		{"interrupted, not running", Pending{Status: StatusInterrupted, Host: host, PID: dead.Process.Pid}, false},
	}
	for _, tt := range tests {
		if got := tt.p.Abandoned(); got != tt.want {
			t.Errorf("%s: Abandoned() = %v, want %v", tt.name, got, tt.want)
		}
	}
	var b strings.Builder
	r := Ranking{InProgress: []Pending{tests[1].p}}
	if err := Render(&b, r, FormatTable, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "that process is gone") {
		t.Errorf("the report does not say the run was abandoned:\n%s", b.String())
	}
}
