package config

import (
	"slices"
	"testing"

	_ "github.com/agentsync/agent/destinations/webhook" // a destination to name
)

// The SaaS discovery modes (issue 13): which targets a mode takes, its
// mandatory targets, application_from and destinations.
func TestKindModeProblems(t *testing.T) {
	const head = "[[destination]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"https://hooks.example.com/x\"\ncredential = \"k\"\n\n[[integration]]\nname = \"a\"\nvendor = \"file\"\nfile.path = \"x.jsonl\"\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "applications take application targets",
			src:  head + "mode = \"applications\"\n[integration.mapping]\n\"application.name\" = \"ssoAppName\"\n\"application.instance_id\" = \"appInstanceId\"\n",
		},
		{
			name: "a user target in applications mode",
			src:  head + "mode = \"applications\"\n[integration.mapping]\n\"application.name\" = \"ssoAppName\"\n\"user.email\" = \"email\"\n",
			want: []string{`config.toml:14:1: mapping "user.email": user targets need mode = "users" or "users+saas_users"`},
		},
		{
			name: "an invoice target in contracts mode",
			src:  head + "mode = \"contracts\"\n[integration.mapping]\n\"contract.contract_id\" = \"id\"\n\"invoice.amount\" = \"amount\"\n",
			want: []string{`config.toml:14:1: mapping "invoice.amount": invoice targets need mode = "spend"`},
		},
		{
			name: "a contract target in spend mode",
			src:  head + "mode = \"spend\"\n[integration.mapping]\n\"invoice.invoice_id\" = \"id\"\n\"invoice.amount\" = \"amount\"\n\"contract.value\" = \"v\"\n",
			want: []string{`config.toml:15:1: mapping "contract.value": contract targets need mode = "contracts"`},
		},
		{
			name: "an application target in users mode",
			src:  head + "[integration.mapping]\n\"user.email\" = \"email\"\n\"application.name\" = \"app\"\n",
			want: []string{`config.toml:13:1: mapping "application.name": application targets need mode = "applications"`},
		},
		{
			name: "saas_user targets in users mode, as before",
			src:  head + "[integration.mapping]\n\"user.email\" = \"email\"\n\"saas_user.role\" = \"role\"\n",
			want: []string{`config.toml:13:1: mapping "saas_user.role": saas_user targets need mode = "users+saas_users"`},
		},
		{
			name: "application_from in users+saas_users mode",
			src:  head + "mode = \"users+saas_users\"\napplication_from = \"appInstanceId\"\n[integration.mapping]\n\"user.email\" = \"email\"\n",
		},
		{
			name: "application and application_from",
			src:  head + "mode = \"users+saas_users\"\napplication = \"Slack\"\napplication_from = \"appInstanceId\"\n[integration.mapping]\n\"user.email\" = \"email\"\n",
			want: []string{`config.toml:13:1: integration.application and integration.application_from are both set: use one (application names the application of every record, application_from reads it from each record)`},
		},
		{
			name: "application_from in users mode",
			src:  head + "application_from = \"appInstanceId\"\n[integration.mapping]\n\"user.email\" = \"email\"\n",
			want: []string{`config.toml:11:1: integration.application_from is only read in mode = "users+saas_users" (mode is "users")`},
		},
		{
			name: "application_from empty",
			src:  head + "mode = \"users+saas_users\"\napplication_from = \" \"\n[integration.mapping]\n\"user.email\" = \"email\"\n",
			want: []string{`config.toml:12:1: integration.application_from must not be empty: the source field that names each record's application (e.g. "appInstanceId")`},
		},
		{
			name: "destinations on a spend integration",
			src:  head + "mode = \"spend\"\ndestinations = [\"hook\"]\n[integration.mapping]\n\"invoice.invoice_id\" = \"id\"\n\"invoice.amount\" = \"amount\"\n",
			want: []string{`config.toml:12:1: integration.destinations: mode = "spend" writes no people nor SaaS users, which is what destinations deliver: remove destinations`},
		},
		{
			name: "destinations on a users integration, as before",
			src:  head + "destinations = [\"hook\"]\n[integration.mapping]\n\"user.email\" = \"email\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(t, tt.src)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

func TestKindModeDraft(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		mapping string
		missing []string
	}{
		{"applications by instance id", "applications", `"application.instance_id" = "appInstanceId"`, nil},
		{"applications by name", "applications", `"application.name" = "ssoAppName"`, nil},
		{"applications without a key", "applications", `"application.display_name" = "d"`, []string{MissingApplicationKey}},
		{"spend", "spend", "\"invoice.invoice_id\" = \"id\"\n\"invoice.amount\" = \"a\"", nil},
		{"spend without an amount", "spend", `"invoice.invoice_id" = "id"`, []string{MissingInvoiceAmount}},
		{"spend without anything", "spend", `"invoice.vendor" = "v"`, []string{MissingInvoiceID, MissingInvoiceAmount}},
		{"contracts", "contracts", `"contract.contract_id" = "id"`, nil},
		{"contracts without an id", "contracts", `"contract.vendor" = "v"`, []string{MissingContractID}},
		{"roster without application", "users+saas_users", `"user.email" = "email"`, []string{MissingApplication}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "[[integration]]\nname = \"a\"\nvendor = \"file\"\nfile.path = \"x.jsonl\"\nmode = \"" + tt.mode + "\"\n[integration.mapping]\n" + tt.mapping + "\n"
			cfg, err := Parse("config.toml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			in := cfg.Integrations[0]
			if got := in.Missing(); !slices.Equal(got, tt.missing) {
				t.Errorf("Missing() = %q, want %q", got, tt.missing)
			}
		})
	}
}
