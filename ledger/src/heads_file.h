// The heads file `<db>.heads`: ingest's in-memory indexes (message ids, row keys, pack heads) as
// they stood at a ledger size, so an open reads them (about 50 MB per million entries) instead of
// scanning three tables, then scans only the rows added since. Written by the writer when it
// closes cleanly (drugtrace serve, drugtrace ingest); a cache, never the record: the file names
// the ledger size and chain head it describes and a SHA-256 of every part, and anything that does
// not match the database (another ledger, a restored backup, a torn or altered file) makes the open
// fall back to the scan. docs/ledger-format.md describes the layout.
#pragma once

#include <cstdint>
#include <string>

#include "hash_index.h"
#include "ledger/hash.h"
#include "ledger/status.h"
#include "sqlite.h"

namespace ledger::heads {

// How far the indexes reach (each covers its table's rows below `next_*`) and what they hold.
struct Counts {
  std::uint64_t next_message_seq = 1, next_row_entry = 0, next_event_seq = 1;
  std::uint64_t message_count = 0, row_count = 0, pack_count = 0, event_count = 0;
};

struct Tables {
  HashIndex messages;  // IndexKey(institution, msgid) -> ingest_messages.seq
  HashIndex rows;      // IndexKey(institution, bchno) -> entry
  HashIndex packs;     // IndexKey(identity) -> code_events.seq of the pack's latest event
  Counts counts;
};

std::string PathFor(const std::string& db_path);

// Writes the indexes of the ledger on `db`, named by its size and chain head then, to `path`
// through a temporary file and a rename.
Status Write(sqlite3* db, const std::string& path, std::uint64_t ledger_size,
             const Hash& chain_head, const HashIndex& messages, const HashIndex& rows,
             const HashIndex& packs, const Counts& c);

// What Read found.
struct Loaded {
  bool ok = false;
  std::string why;  // when !ok: why the file was not used ("no heads file", "chain differs", ...)
  std::uint64_t ledger_size = 0;
};

// Reads `path` into `t` if it describes a prefix of the ledger on `db`; with `packs_only`, only
// the pack heads (and their counts). `t` is left unchanged unless ok.
Result<Loaded> Read(sqlite3* db, const std::string& path, bool packs_only, Tables& t);

}  // namespace ledger::heads
