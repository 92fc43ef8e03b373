package credentials

// PipeSDDL is the Windows named pipe's security descriptor: a protected
// DACL (nothing inherited) that denies network logons and grants full
// access to SYSTEM (the service, LocalSystem) and the Administrators group
// (present in an elevated prompt's token only). Nobody else, not even the
// pipe's creator by default, is admitted.
const PipeSDDL = "D:P(D;;GA;;;NU)(A;;GA;;;SY)(A;;GA;;;BA)"
