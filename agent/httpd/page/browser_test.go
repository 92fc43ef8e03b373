package page

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agentsync/agent/agent/store"
)

// chromium finds Debian's Chromium. Without one the test fails under CI
// (CI=true: .ci/run installs it) and skips elsewhere, saying so.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: CI must install it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: the browser test needs Debian's chromium (apt-get install chromium); CI=true makes this a failure")
	return ""
}

// A person opens the status page in a real browser: they see the
// states, a failed run's reason, a change's old and new value and the
// inbox; they press Run now and see the new run.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	f := newFixture(t)
	srv := httptest.NewServer(Handler(f.deps())) // 127.0.0.1: a local browser may Run now
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 800),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	open := func(path string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
	}
	// text is what the person reads in the element the XPath finds.
	text := func(xpath string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.Search(xpath)))
		if err != nil {
			t.Fatalf("read %s: %v", xpath, err)
		}
		return strings.TrimSpace(s)
	}
	row := func(name string) string { return `//table//tr[td[1]/a[normalize-space()="` + name + `"]]` }

	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	open("/")
	for name, want := range map[string]string{"acme": "active", "broken": "failed", "drafty": "draft", "fresh": "ready"} {
		if got := text(row(name) + `//span[contains(@class, "state")]`); got != want {
			t.Errorf("%s shows the state %q; want %q", name, got, want)
		}
	}
	if got := text(row("broken") + `/td[3]`); !strings.Contains(got, "broken.jsonl:2: invalid JSON") {
		t.Errorf("the failed run's reason reads %q", got)
	}
	if got := text(`//h2[starts-with(normalize-space(), "Inbox")]/following-sibling::table[1]//tbody/tr[1]`); !strings.Contains(got, "integration broken failed") {
		t.Errorf("the inbox shows %q; want the failed run's message", got)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
		// To refresh the README's picture: STATUS_PAGE_SCREENSHOT=$PWD/docs/status-page.png
		if out := os.Getenv("STATUS_PAGE_SCREENSHOT"); out != "" && name == "status.png" {
			if err := os.WriteFile(out, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	shot("status.png")

	// The second run of acme: Ann's title changed.
	open("/run/" + f.second)
	ann := `//table//tr[td[1][starts-with(normalize-space(), "ann@example.com")]]`
	if old, new := text(ann+`/td[contains(@class, "old")]`), text(ann+`/td[contains(@class, "new")]`); old != "Engineer" || new != "Staff Engineer" {
		t.Errorf("Ann's change reads %q → %q; want Engineer → Staff Engineer", old, new)
	}

	// Run now, from the integration's page.
	open("/integration/acme")
	before, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#runs tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS("form.run button"))); err != nil {
		t.Fatalf("press Run now: %v", err)
	}
	if loc, _ := chromedp.Run(bctx, chromedp.Location()); loc != srv.URL+"/integration/acme" {
		t.Errorf("after Run now the browser is at %s", loc)
	}
	after, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#runs tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	latest, err := f.st.LastRun(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if after != before+1 || latest.ID == f.second || latest.Outcome != store.OutcomeSuccess {
		t.Fatalf("runs listed %d before Run now, %d after; the latest run is %s (%s)", before, after, latest.ID, latest.Outcome)
	}
	top := `//table[@id="runs"]/tbody/tr[1]`
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#runs tbody tr a").getAttribute("href")`))
	if err != nil || href != "/run/"+latest.ID {
		t.Errorf("the top run links to %q, %v; want /run/%s", href, err, latest.ID)
	}
	if got := text(top + `//span[contains(@class, "state")]`); got != "success" {
		t.Errorf("the new run shows %q; want success", got)
	}
	shot("after-run-now.png")
}
