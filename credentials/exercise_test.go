package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// secretsFor returns a distinctive secret of each kind; gen tells a first
// value from a rotated one.
func secretsFor(gen string) []Secret {
	return []Secret{
		{Kind: OAuth2Client, ClientID: "client-id-" + gen, ClientSecret: "cs-Zq7!" + gen + "-x9"},
		{Kind: APIKey, Token: "tok-Vb3#" + gen + "-k2"},
		{Kind: Basic, Username: "smtp-user-" + gen, Password: "pw-Lm5$" + gen + "-q1"},
	}
}

// exercise runs set → list → get → rotate → delete for each kind on st.
// inspect, when set, checks the entry with the OS's own tool.
func exercise(t *testing.T, st *Store, wantBackend string, inspect func(t *testing.T, key string)) {
	ctx := context.Background()
	if b, err := st.Backend(); err != nil || b != wantBackend {
		t.Fatalf("Backend() = %q, %v; want %q", b, err, wantBackend)
	}
	for i, first := range secretsFor("one") {
		name := fmt.Sprintf("cred-%s-%d", first.Kind, i)
		t.Run(string(first.Kind), func(t *testing.T) {
			expires := time.Date(2031, 3, 1, 0, 0, 0, 0, time.UTC)
			m, err := st.Set(ctx, name, first, expires)
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			if m.Kind != first.Kind || m.Backend != wantBackend || !m.ExpiresAt.Equal(expires) || m.Created.IsZero() || !m.Rotated.Equal(m.Created) {
				t.Fatalf("set: meta %+v", m)
			}
			list, err := st.List()
			if err != nil {
				t.Fatal(err)
			}
			if !hasMeta(list, name, first.Kind) {
				t.Fatalf("list %+v lacks %s", list, name)
			}
			got, err := st.Get(ctx, name)
			if err != nil || got != first {
				t.Fatalf("get: %v (same secret: %v)", err, got == first)
			}
			if inspect != nil {
				inspect(t, st.key(wantBackend, name))
			}

			later := time.Now().Add(time.Hour)
			st.now = func() time.Time { return later }
			defer func() { st.now = time.Now }()
			second := secretsFor("two")[i]
			m2, err := st.Set(ctx, name, second, time.Time{})
			if err != nil {
				t.Fatalf("rotate: %v", err)
			}
			if !m2.Created.Equal(m.Created) || !m2.Rotated.After(m.Rotated) || !m2.ExpiresAt.IsZero() {
				t.Fatalf("rotate: meta %+v after %+v", m2, m)
			}
			if got, err := st.Get(ctx, name); err != nil || got != second {
				t.Fatalf("get after rotate: %v (rotated secret: %v)", err, got == second)
			}

			if err := st.Delete(ctx, name); err != nil {
				t.Fatalf("delete: %v", err)
			}
			_, err = st.Get(ctx, name)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), wantBackend) {
				t.Fatalf("get after delete: %v; want ErrNotFound naming the credential and the backend", err)
			}
			if list, _ := st.List(); hasMeta(list, name, first.Kind) {
				t.Fatalf("list after delete still has %s", name)
			}
			if err := st.Delete(ctx, name); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v; want ErrNotFound", err)
			}
			for _, s := range []Secret{first, second} {
				for _, v := range s.values() {
					if err != nil && strings.Contains(err.Error(), v) {
						t.Fatalf("an error carries a secret")
					}
				}
			}
		})
	}
}

func hasMeta(list []Meta, name string, k Kind) bool {
	for _, m := range list {
		if m.Name == name && m.Kind == k {
			return true
		}
	}
	return false
}
