// The ledger's SQLite schema, applied as numbered migrations through PRAGMA user_version.
#pragma once

#include <sqlite3.h>

#include "ledger/status.h"

namespace ledger::schema {

// The schema version this build writes; older databases are migrated on open, newer ones refused.
inline constexpr int kVersion = 4;

// Sets the connection pragmas every ledger connection uses (WAL, synchronous=FULL, ...).
Status Configure(sqlite3* db, bool read_only, int cache_mib, int mmap_mib = 0);
// PRAGMA user_version: 0 for a database that holds no drugtrace ledger.
Result<int> Version(sqlite3* db);
// Creates or migrates the schema to kVersion inside one transaction.
Status Migrate(sqlite3* db);

}  // namespace ledger::schema
