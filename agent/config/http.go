package config

import (
	"net"
	"strconv"

	"github.com/agentsync/agent/internal/endpoint"
)

// HTTP is the [http] table: the agent's own HTTP endpoint (health,
// readiness, metrics), served by the service (`agent run`) and by
// `agent serve`.
type HTTP struct {
	// Listen is host:port; "" turns the endpoint off. A host that is not
	// loopback needs TLSCert and TLSKey.
	Listen  string `toml:"listen"`
	TLSCert string `toml:"tls_cert"` // PEM certificate chain; absolute after Load, "" when unset
	TLSKey  string `toml:"tls_key"`  // PEM private key; absolute after Load, "" when unset
}

// DefaultListen is http.listen when the file does not set it: on, and
// reachable from this machine only.
const DefaultListen = "127.0.0.1:8787"

// Enabled reports whether the endpoint is served.
func (h HTTP) Enabled() bool { return h.Listen != "" }

// TLS reports whether the endpoint is served over TLS.
func (h HTTP) TLS() bool { return h.TLSCert != "" && h.TLSKey != "" }

// validateHTTP checks [http]: listen is host:port, and a host that is not
// loopback (an address, a name, or none: every interface) comes with both
// TLS files, so that nothing is served in clear to the network.
func validateHTTP(cfg *Config, r *reporter) {
	p := path{"http"}
	h := &cfg.HTTP
	h.TLSCert = resolve(cfg.Dir, h.TLSCert)
	h.TLSKey = resolve(cfg.Dir, h.TLSKey)
	switch {
	case h.TLSCert != "" && h.TLSKey == "":
		r.report(p.with("tls_cert"), "http.tls_cert is set without http.tls_key: TLS needs both")
	case h.TLSKey != "" && h.TLSCert == "":
		r.report(p.with("tls_key"), "http.tls_key is set without http.tls_cert: TLS needs both")
	}
	if h.Listen == "" {
		return
	}
	lp := p.with("listen")
	host, port, err := net.SplitHostPort(h.Listen)
	if err != nil {
		r.report(lp, `http.listen %s is not host:port (e.g. %q; "" turns the endpoint off)`, q(h.Listen), DefaultListen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		r.report(lp, "http.listen %s: the port must be a number between 0 and 65535", q(h.Listen))
		return
	}
	if !endpoint.Loopback(host) && !h.TLS() {
		what := "is not a loopback address"
		if host == "" {
			what = "listens on every interface"
		}
		r.report(lp, "http.listen %s %s: set http.tls_cert and http.tls_key to serve it to the network, or listen on %s (this machine only)", q(h.Listen), what, DefaultListen)
	}
}
