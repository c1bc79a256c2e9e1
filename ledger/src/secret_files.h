// Small files beside a ledger that hold secrets (the signing key, the HMAC key): read only when no
// one but the owner may read them, written with O_EXCL and mode 0600. Private to the ledger module.
#pragma once

#include <string>

#include "ledger/status.h"

namespace ledger::files {

// errno as a Status: NotFound for ENOENT, AlreadyExists for EEXIST, IoError otherwise.
Status ErrnoStatus(const std::string& what);

// The file's bytes (at most 4 KiB), refused when group or others may read it. `what` names the
// file in errors ("signing key /x/l.db.key ..."); "" names it by path alone.
Result<std::string> ReadSecret(const std::string& path, const std::string& what = "");

// Creates `path` (never overwriting) with mode 0600, writes `data` and syncs it; removes it again
// if that fails. The caller syncs the directory.
Status WriteSecret(const std::string& path, const std::string& data);

}  // namespace ledger::files
