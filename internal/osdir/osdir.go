// Package osdir is what the agent needs from the operating system's
// folders: where %ProgramData% is on Windows, and private folders and
// files, which only the agent's account and the administrators may read.
// data_dir (the store, the credentials index, the file backend's key file)
// and the keyring's file_dir are private.
//
//	Unix     a new folder is 0700; a secret file others may read (mode & 077)
//	         is refused
//	Windows  a folder gets PrivateSDDL (owner Administrators, a protected
//	         DACL granting SYSTEM and Administrators), an existing one is
//	         tightened to it; a secret file whose DACL lets anyone but
//	         SYSTEM, Administrators and its owner read it is refused
package osdir

// PrivateSDDL is a private folder's security descriptor on Windows, the
// equivalent of 0700 for a service running as LocalSystem: owned by the
// Administrators group, a protected DACL (nothing inherited from the
// parent, so %ProgramData%'s read access for Users stays out) granting
// full control to SYSTEM and Administrators, inherited by everything
// inside. The MSI creates %ProgramData%\agent with it
// (installer/build.sh). A process that is not an administrator makes its
// folder with itself as the owner and a third grant for itself, else it
// could not use the folder it made.
const PrivateSDDL = "O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
