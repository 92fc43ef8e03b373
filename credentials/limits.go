package credentials

import "fmt"

// maxEntry is the largest entry (the JSON value: the secret fields and
// the metadata copy) a backend holds, in bytes; a backend not listed
// takes what the channel can carry.
var maxEntry = map[string]int{
	// CRED_MAX_CREDENTIAL_BLOB_SIZE (wincred.h): 5*512 bytes.
	"wincred": 5 * 512,
	// A "user" key's payload (keyctl(2), add_key(2)): 32767 bytes.
	"keyctl": 32767,
}

// checkEntrySize refuses an entry of size bytes that backend cannot hold,
// before anything is stored. The message names the credential, the size
// and the limit, never the secret.
func checkEntrySize(name, backend string, size int) error {
	limit, ok := maxEntry[backend]
	if !ok || size <= limit {
		return nil
	}
	return fmt.Errorf("credential %q: too large for keyring %s: its entry is %d bytes (the secret and its metadata), the backend holds at most %d; shorten the secret or use another [keyring] backend (file holds any size)", name, backend, size, limit)
}
