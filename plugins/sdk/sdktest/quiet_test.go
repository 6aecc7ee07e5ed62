package sdktest

import (
	"os/exec"
	"strings"
	"testing"
)

// 'go test -v' of a plugin shows its tests, not go-plugin's debug lines.
func TestVerbosePluginTestsAreQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a plugin")
	}
	out, err := exec.Command("go", "test", "-v", "-count=1", "-run", "TestRetailExample", "../../retail").CombinedOutput()
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestRetailExample") || strings.Contains(string(out), "[DEBUG]") {
		t.Errorf("go test -v output:\n%s", out)
	}
}
