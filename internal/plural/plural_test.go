package plural

import "testing"

func TestCount(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0 integrations"},
		{1, "1 integration"},
		{2, "2 integrations"},
		{-1, "-1 integration"},
	}
	for _, tt := range tests {
		if got := Count(tt.n, "integration", "integrations"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := Count(3, "entry", "entries"); got != "3 entries" {
		t.Errorf("irregular: %q", got)
	}
}
