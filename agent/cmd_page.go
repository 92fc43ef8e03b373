package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/agentsync/agent/agent/httpd"
)

func init() {
	commands["page"] = cmdPage
}

// cmdPage prints the status page's sign-in URL: it reads the token the
// service keeps in data_dir, so only its account (or root, or the
// Administrators) can open the page.
func cmdPage(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("page", flag.ContinueOnError)
	names, cfg, err := a.parseWithConfig(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 0 {
		return usagef("page takes no names")
	}
	if !cfg.HTTP.Enabled() {
		return usagef(`page: http.listen is "" in %s: the service serves no page`, a.configPath)
	}
	tok, err := httpd.PageToken(cfg.Agent.DataDir, false)
	if err != nil {
		return fmt.Errorf("%w (the service makes it when it starts; run this as its account: sudo -u agent agent page)", err)
	}
	fmt.Fprintln(a.stdout, httpd.PageURL(cfg.HTTP.Listen, cfg.HTTP.TLSCert != "", tok))
	return nil
}
