// Package wine tells tests whether they run under Wine, so that a test of
// something Wine does not implement (file ACLs, the service manager's
// sessions) can skip there, saying so, instead of the product bending to
// Wine. Product code never asks.
package wine

// SkipReason is what a test skipped under Wine says, after the gap.
const SkipReason = "(a gap of Wine, which the Windows lane of .ci/run uses; the test runs on Windows)"
