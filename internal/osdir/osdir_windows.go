package osdir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ProgramData is %ProgramData% (C:\ProgramData), read through the Known
// Folders API (FOLDERID_ProgramData): a service's environment is not to be
// trusted with it (under test it resolved to C:\Users\Public).
func ProgramData() string {
	if p, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, windows.KF_FLAG_DEFAULT); err == nil && p != "" {
		return p
	}
	return `C:\ProgramData`
}

// MkdirPrivate makes dir and its missing parents, and makes dir private:
// PrivateSDDL for SYSTEM or an administrator (an elevated prompt); for
// another account the same with the account as the owner and a grant of
// its own. A new folder is created with it; an existing folder that
// grants anyone else anything, inherits from its parent or has another
// owner is tightened to it, and what it holds inherits the new DACL.
func MkdirPrivate(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	sddl, trusted, err := privateSDDL()
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("%s: security descriptor %s: %w", dir, sddl, err)
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	sa := windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(sa))
	err = windows.CreateDirectory(p, &sa)
	if err == nil {
		return nil
	}
	if !errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	if fi, err := os.Stat(dir); err != nil {
		return err
	} else if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a folder", dir)
	}
	cur, err := readACL(dir)
	if err != nil {
		return fmt.Errorf("%s: reading its ACL: %w%s", dir, err, elevate(err))
	}
	if cur.private(trusted...) {
		return nil
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	si := windows.SECURITY_INFORMATION(windows.OWNER_SECURITY_INFORMATION | windows.DACL_SECURITY_INFORMATION | windows.PROTECTED_DACL_SECURITY_INFORMATION)
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, si, owner, nil, dacl, nil); err != nil {
		return fmt.Errorf("%s: restricting it to SYSTEM and Administrators (%s): %w%s", dir, sddl, err, elevate(err))
	}
	return nil
}

// CheckPrivate refuses a secret file whose DACL lets anyone but SYSTEM,
// Administrators and the file's owner read it.
func CheckPrivate(path string) error {
	a, err := readACL(path)
	if err != nil {
		return fmt.Errorf("%s: reading its ACL: %w", path, err)
	}
	others := a.readers(fileTrustees(a.owner)...)
	if len(others) == 0 {
		return nil
	}
	var names, remove []string
	for _, s := range others {
		if s == "unknown" {
			names = append(names, "an entry of a type the agent cannot check")
			continue
		}
		names = append(names, accountName(s))
		remove = append(remove, "*"+s)
	}
	fix := fmt.Sprintf(`icacls "%s" /inheritance:r /grant:r *%s:F *%s:F`, path, sidSystem, sidAdmins)
	if len(remove) > 0 {
		fix += " /remove:g " + strings.Join(remove, " ")
	}
	return fmt.Errorf("%s is readable by others (%s): only SYSTEM, Administrators and its owner may read it: %s", path, strings.Join(names, ", "), fix)
}

// privateSDDL is the security descriptor MkdirPrivate gives a folder, and
// who it trusts.
func privateSDDL() (string, []string, error) {
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return "", nil, err
	}
	// Token 0: the caller's own token; Administrators counts only when
	// enabled, in an elevated or a SYSTEM token.
	if ok, err := windows.Token(0).IsMember(admins); err == nil && ok {
		return PrivateSDDL, []string{sidSystem, sidAdmins}, nil
	}
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", nil, fmt.Errorf("the process's account: %w", err)
	}
	me := u.User.Sid.String()
	if me == sidSystem {
		return PrivateSDDL, []string{sidSystem, sidAdmins}, nil
	}
	return "O:" + me + "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;" + me + ")", []string{sidSystem, sidAdmins, me}, nil
}

// readACL reads the owner and the DACL of path.
func readACL(path string) (acl, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return acl{}, err
	}
	var a acl
	if owner, _, err := sd.Owner(); err == nil && owner != nil {
		a.owner = owner.String()
	}
	control, _, err := sd.Control()
	if err != nil {
		return acl{}, err
	}
	a.protected = control&windows.SE_DACL_PROTECTED != 0
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) || err == nil && dacl == nil {
		a.null = true
		return a, nil
	}
	if err != nil {
		return acl{}, err
	}
	for i := range uint32(dacl.AceCount) {
		var e *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &e); err != nil {
			return acl{}, err
		}
		x := ace{mask: uint32(e.Mask), inheritOnly: e.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0}
		switch e.Header.AceType {
		case windows.ACCESS_ALLOWED_ACE_TYPE:
			x.kind = aceAllow
			x.sid = (*windows.SID)(unsafe.Pointer(&e.SidStart)).String()
		case windows.ACCESS_DENIED_ACE_TYPE, 0x6, 0xA, 0xC: // denied: plain, object, callback, callback object
			x.kind = aceDeny
		}
		a.aces = append(a.aces, x)
	}
	return a, nil
}

// accountName is "DOMAIN\name (SID)" when Windows knows the SID.
func accountName(sid string) string {
	s, err := windows.StringToSid(sid)
	if err != nil {
		return sid
	}
	name, domain, _, err := s.LookupAccount("")
	if err != nil {
		return sid
	}
	if domain != "" {
		name = domain + `\` + name
	}
	return name + " (" + sid + ")"
}

// elevate is the hint appended to an access-denied error.
func elevate(err error) string {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_INVALID_OWNER) || errors.Is(err, windows.ERROR_PRIVILEGE_NOT_HELD) {
		return "; run from an elevated prompt (an administrator), or let the agent service do it"
	}
	return ""
}
