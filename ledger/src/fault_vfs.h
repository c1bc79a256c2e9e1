// A fault-injecting SQLite VFS, for tests only (issue #7): it wraps the default VFS (unix) and
// can fail the Nth write, sync or lock, or make every write fail with SQLITE_FULL (a full disk)
// until told otherwise. Off by default, and then nothing of it runs: it is installed only when the
// environment variable DRUGTRACE_FAULT_VFS names a control file when the first ledger connection
// is opened.
//
// The control file holds a spec, re-read whenever its content changes (every file operation looks
// at it, so a test changes the faults of a running daemon by rewriting the file):
//
//   (empty) or "off"   no faults
//   write=N            the Nth write from now fails with SQLITE_IOERR_WRITE (once)
//   sync=N             the Nth sync from now fails with SQLITE_IOERR_FSYNC (once)
//   lock=N             the Nth lock request from now fails with SQLITE_IOERR_LOCK (once)
//   full=N, full       from the Nth write from now on (1 by default), every write fails with
//                      SQLITE_FULL until the spec changes: "space returns" when the file is
//                      rewritten without "full"
//
// Several may be combined, separated by spaces ("write=3 sync=5"). "From now" counts operations
// since the spec was read. A spec that cannot be parsed is reported on stderr and ignored (no
// faults). Operations counted are those on the files SQLite opens: the ledger, its WAL and any
// journal; reads and the WAL index (shared memory) are never failed.
#pragma once

namespace ledger::fault_vfs {

// The variable naming the control file.
inline constexpr char kEnvironmentVariable[] = "DRUGTRACE_FAULT_VFS";

// Registers the shim as SQLite's default VFS if DRUGTRACE_FAULT_VFS is set (and says so on
// stderr). Only the first call does anything; later calls cost one atomic load.
void InstallFromEnvironment();

}  // namespace ledger::fault_vfs
