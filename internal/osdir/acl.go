package osdir

import "slices"

// Well-known SIDs.
const (
	sidSystem = "S-1-5-18"
	sidAdmins = "S-1-5-32-544"
)

// broadSIDs are groups that are never trusted as a file's owner: a file
// owned by one of them is as good as anyone's.
var broadSIDs = []string{
	"S-1-1-0",      // Everyone
	"S-1-5-7",      // Anonymous
	"S-1-5-4",      // Interactive
	"S-1-5-11",     // Authenticated Users
	"S-1-5-32-545", // Users
	"S-1-5-32-546", // Guests
}

// Access rights that read a file, or let their holder grant itself that:
// FILE_READ_DATA (FILE_LIST_DIRECTORY on a folder), GENERIC_READ,
// GENERIC_ALL, WRITE_DAC, WRITE_OWNER.
const readRights = 0x1 | 0x80000000 | 0x10000000 | 0x40000 | 0x80000

// aceKind is the type of an ACE, as far as the checks care.
type aceKind int

const (
	aceOther aceKind = iota // a type the checks cannot read: never trusted
	aceAllow                // ACCESS_ALLOWED_ACE_TYPE
	aceDeny                 // any of the access-denied types
)

// ace is one entry of a DACL.
type ace struct {
	kind        aceKind
	inheritOnly bool // INHERIT_ONLY_ACE: applies to what the folder holds, not to it
	mask        uint32
	sid         string // S-1-…
}

// acl is what the checks read of an object's security descriptor.
type acl struct {
	owner     string
	null      bool // no DACL at all: everyone has full access
	protected bool // SE_DACL_PROTECTED: nothing inherited from the parent
	aces      []ace
}

// readers returns the SIDs outside trusted that the DACL lets read the
// object itself ("S-1-1-0", Everyone, for a null DACL), each once. An
// ACE of a type it cannot read counts as "unknown", a reader it cannot
// clear. A deny ACE is not weighed against the grants: the check may
// refuse a DACL Windows would not let read, never the other way round.
func (a acl) readers(trusted ...string) []string {
	if a.null {
		return []string{"S-1-1-0"}
	}
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, e := range a.aces {
		switch {
		case e.inheritOnly || e.kind == aceDeny:
		case e.kind == aceOther:
			add("unknown")
		case e.mask&readRights != 0 && !slices.Contains(trusted, e.sid):
			add(e.sid)
		}
	}
	return out
}

// private reports whether a folder with this security descriptor is
// already as private as MkdirPrivate makes it: owned by one of trusted,
// its DACL protected, granting nothing, to the folder or to what it
// holds, to anyone else.
func (a acl) private(trusted ...string) bool {
	if a.null || !a.protected || !slices.Contains(trusted, a.owner) {
		return false
	}
	for _, e := range a.aces {
		if e.kind == aceOther || e.kind == aceAllow && !slices.Contains(trusted, e.sid) {
			return false
		}
	}
	return true
}

// fileTrustees are who may read a secret file owned by owner: SYSTEM,
// Administrators, and the owner unless it is a broad group.
func fileTrustees(owner string) []string {
	t := []string{sidSystem, sidAdmins}
	if owner != "" && !slices.Contains(broadSIDs, owner) {
		t = append(t, owner)
	}
	return t
}
