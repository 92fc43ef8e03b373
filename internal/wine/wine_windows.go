package wine

import "golang.org/x/sys/windows/registry"

// Running reports whether this process runs under Wine: Wine's prefix
// has the key HKLM\Software\Wine, which Windows does not.
func Running() bool {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `Software\Wine`, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	k.Close()
	return true
}
