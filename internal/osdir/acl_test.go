package osdir

import (
	"slices"
	"testing"
)

// The DACL checks, read from ACEs as Windows hands them over; they run on
// every OS.

const (
	sidUsers = "S-1-5-32-545"
	sidAlice = "S-1-5-21-1-2-3-1001"
	sidBob   = "S-1-5-21-1-2-3-1002"
	fullCtl  = 0x1f01ff // FILE_ALL_ACCESS
	readOnly = 0x120089 // FILE_GENERIC_READ
)

func allow(sid string, mask uint32) ace { return ace{kind: aceAllow, sid: sid, mask: mask} }

// tight is what MkdirPrivate sets and the MSI creates.
var tight = []ace{allow(sidSystem, fullCtl), allow(sidAdmins, fullCtl)}

func TestReaders(t *testing.T) {
	for _, c := range []struct {
		name string
		acl  acl
		want []string
	}{
		{"SYSTEM and Administrators", acl{owner: sidAdmins, aces: tight}, nil},
		{"and the owner", acl{owner: sidAlice, aces: append(slices.Clone(tight), allow(sidAlice, fullCtl))}, nil},
		{"inherited from ProgramData: Users read", acl{owner: sidAdmins, aces: append(slices.Clone(tight), allow(sidUsers, readOnly))}, []string{sidUsers}},
		{"another user, twice", acl{owner: sidAlice, aces: []ace{allow(sidBob, readOnly), allow(sidBob, fullCtl)}}, []string{sidBob}},
		{"GENERIC_READ", acl{owner: sidAlice, aces: []ace{allow(sidBob, 0x80000000)}}, []string{sidBob}},
		{"GENERIC_ALL", acl{owner: sidAlice, aces: []ace{allow(sidBob, 0x10000000)}}, []string{sidBob}},
		{"WRITE_DAC grants itself the rest", acl{owner: sidAlice, aces: []ace{allow(sidBob, 0x40000)}}, []string{sidBob}},
		{"WRITE_OWNER too", acl{owner: sidAlice, aces: []ace{allow(sidBob, 0x80000)}}, []string{sidBob}},
		{"attributes only: not a reader", acl{owner: sidAlice, aces: []ace{allow(sidBob, 0x80 /* FILE_READ_ATTRIBUTES */)}}, nil},
		{"inherit-only: not about the file", acl{owner: sidAlice, aces: []ace{{kind: aceAllow, sid: sidUsers, mask: fullCtl, inheritOnly: true}}}, nil},
		{"deny ACEs grant nothing", acl{owner: sidAlice, aces: []ace{{kind: aceDeny, sid: sidUsers, mask: fullCtl}}}, nil},
		{"an ACE it cannot read", acl{owner: sidAlice, aces: []ace{{kind: aceOther, mask: fullCtl}}}, []string{"unknown"}},
		{"null DACL: everyone", acl{owner: sidAlice, null: true}, []string{"S-1-1-0"}},
		{"owned by Users: Users is no owner to trust", acl{owner: sidUsers, aces: []ace{allow(sidUsers, fullCtl)}}, []string{sidUsers}},
		{"owned by Everyone", acl{owner: "S-1-1-0", aces: []ace{allow("S-1-1-0", readOnly)}}, []string{"S-1-1-0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.acl.readers(fileTrustees(c.acl.owner)...); !slices.Equal(got, c.want) {
				t.Fatalf("readers = %v; want %v", got, c.want)
			}
		})
	}
}

func TestPrivate(t *testing.T) {
	trusted := []string{sidSystem, sidAdmins}
	for _, c := range []struct {
		name    string
		acl     acl
		trusted []string
		want    bool
	}{
		{"what MkdirPrivate sets", acl{owner: sidAdmins, protected: true, aces: tight}, trusted, true},
		{"owned by SYSTEM", acl{owner: sidSystem, protected: true, aces: tight}, trusted, true},
		{"fewer grants", acl{owner: sidAdmins, protected: true, aces: tight[:1]}, trusted, true},
		{"a deny is fine", acl{owner: sidAdmins, protected: true, aces: append(slices.Clone(tight), ace{kind: aceDeny, sid: sidUsers, mask: fullCtl})}, trusted, true},
		{"inherits from its parent", acl{owner: sidAdmins, aces: tight}, trusted, false},
		{"owned by a user", acl{owner: sidAlice, protected: true, aces: tight}, trusted, false},
		{"Users may read", acl{owner: sidAdmins, protected: true, aces: append(slices.Clone(tight), allow(sidUsers, readOnly))}, trusted, false},
		{"Users may add files", acl{owner: sidAdmins, protected: true, aces: append(slices.Clone(tight), allow(sidUsers, 0x2))}, trusted, false},
		{"CREATOR OWNER for what it holds", acl{owner: sidAdmins, protected: true, aces: append(slices.Clone(tight), ace{kind: aceAllow, sid: "S-1-3-0", mask: fullCtl, inheritOnly: true})}, trusted, false},
		{"an ACE it cannot read", acl{owner: sidAdmins, protected: true, aces: append(slices.Clone(tight), ace{kind: aceOther})}, trusted, false},
		{"null DACL", acl{owner: sidAdmins, protected: true, null: true}, trusted, false},
		{"a user's own folder", acl{owner: sidAlice, protected: true, aces: append(slices.Clone(tight), allow(sidAlice, fullCtl))}, append(slices.Clone(trusted), sidAlice), true},
		{"a user's folder that Bob may read", acl{owner: sidAlice, protected: true, aces: append(slices.Clone(tight), allow(sidBob, readOnly))}, append(slices.Clone(trusted), sidAlice), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.acl.private(c.trusted...); got != c.want {
				t.Fatalf("private = %v; want %v", got, c.want)
			}
		})
	}
}
