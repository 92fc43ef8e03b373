package httpd_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentsync/agent/agent/config"
	"github.com/agentsync/agent/agent/httpd"
	"github.com/agentsync/agent/internal/loopback"
)

// serve starts srv until the test ends and returns its address.
func serve(t *testing.T, srv *httpd.Server) (addr string, stop func() error) {
	t.Helper()
	a, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return 10s after its context ended")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	return a.String(), stop
}

func TestServe(t *testing.T) {
	e := newEnv(t, "")
	addr, stop := serve(t, e.srv)
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nope": 404} {
		if code, body := loopback.Get(t, nil, "http://"+addr+path); code != want {
			t.Errorf("GET %s: %d %s, want %d", path, code, body, want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve after its context ended: %v, want nil", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after the shutdown")
	}
}

func TestPortInUse(t *testing.T) {
	e := newEnv(t, "")
	addr, _ := serve(t, e.srv)
	second := httpd.New(httpd.Options{HTTP: config.HTTP{Listen: addr}, State: e.state})
	_, err := second.Listen()
	if err == nil || !strings.Contains(err.Error(), "listen on "+addr+" (http.listen)") {
		t.Fatalf("Listen on a port in use: %v", err)
	}
	if err := second.Serve(context.Background()); err == nil {
		t.Fatal("Serve on a port in use returned nil")
	}
	// The first one is still serving.
	if code, _ := loopback.Get(t, nil, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("GET /healthz: %d", code)
	}
}

func TestListenOff(t *testing.T) {
	srv := httpd.New(httpd.Options{HTTP: config.HTTP{}})
	if _, err := srv.Listen(); err == nil || !strings.Contains(err.Error(), `http.listen is ""`) {
		t.Errorf("Listen with listen = \"\": %v", err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	e := newEnv(t, "")
	srv := httpd.New(httpd.Options{HTTP: config.HTTP{Listen: "127.0.0.1:0", TLSCert: certFile, TLSKey: keyFile}, State: e.state})
	addr, _ := serve(t, srv)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if code, body := loopback.Get(t, c, "https://"+addr+"/healthz"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("GET https /healthz: %d %s", code, body)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("plain http to the TLS port: %d, want a refusal", resp.StatusCode)
		}
	}
}

func TestTLSFilesMissing(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	srv := httpd.New(httpd.Options{HTTP: config.HTTP{Listen: "127.0.0.1:0", TLSCert: cert, TLSKey: key}})
	_, err := srv.Listen()
	if err == nil || !strings.Contains(err.Error(), cert) || !strings.Contains(err.Error(), "http.tls_cert") {
		t.Fatalf("Listen without the TLS files: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	cert, pool := loopback.SelfSigned(t)
	kder, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certFile, keyFile, pool
}
