//go:build agent_e2e

package schedule

import "time"

// The end-to-end test builds the agent with -tags agent_e2e so that an
// "every 2s" schedule shows several scheduled runs in a few seconds. A
// production build keeps MinEvery: nothing polls a vendor more often.
func init() { minEvery = time.Second }
