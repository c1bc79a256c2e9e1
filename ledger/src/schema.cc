#include "schema.h"

#include <string>

#include "sqlite.h"

namespace ledger::schema {

namespace {

// Version 1: entries (one row per ledger entry, rowid = entry index), the signed checkpoints, and
// metadata. UPDATE and DELETE are refused by triggers as defence in depth: the ledger code never
// issues them, so any attempt is tampering or a bug.
constexpr const char* kV1 = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE entries(
  idx         INTEGER PRIMARY KEY,  -- 0-based entry index
  type        INTEGER NOT NULL,
  event_time  INTEGER NOT NULL,     -- ms since the Unix epoch, UTC
  institution TEXT NOT NULL,
  body        BLOB NOT NULL,        -- exact canonical entry bytes
  leaf        BLOB NOT NULL,        -- SHA-256(0x00 || body)
  chain       BLOB NOT NULL,        -- SHA-256(chain[idx-1] || leaf)
  nodes       BLOB                  -- perfect subtree hashes this leaf completes, levels 1..k
);
CREATE TABLE checkpoints(
  seq        INTEGER PRIMARY KEY,
  tree_size  INTEGER NOT NULL,
  root       BLOB NOT NULL,
  chain      BLOB NOT NULL,
  signed_at  INTEGER NOT NULL,
  note       TEXT NOT NULL
);
CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
  BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'signed checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
  BEGIN SELECT RAISE(ABORT, 'signed checkpoints are append-only'); END;
CREATE TRIGGER meta_no_update BEFORE UPDATE ON meta
  BEGIN SELECT RAISE(ABORT, 'ledger metadata is write-once'); END;
CREATE TRIGGER meta_no_delete BEFORE DELETE ON meta
  BEGIN SELECT RAISE(ABORT, 'ledger metadata is write-once'); END;
)sql";

// Version 2: ingest's indexes (ledger/include/ledger/ingest_store.h). `key` columns hold IndexKey()
// of the natural key so the in-memory heads can be rebuilt without hashing text.
constexpr const char* kV2 = R"sql(
CREATE TABLE ingest_messages(
  seq         INTEGER PRIMARY KEY,
  key         INTEGER NOT NULL,     -- IndexKey(institution, msgid)
  institution TEXT NOT NULL,
  msgid       TEXT NOT NULL,
  digest      BLOB NOT NULL,
  response    BLOB NOT NULL
);
CREATE TABLE ingest_rows(
  entry       INTEGER PRIMARY KEY,  -- ledger entry index of the row
  key         INTEGER NOT NULL,     -- IndexKey(institution, bchno)
  institution TEXT NOT NULL,
  bchno       TEXT NOT NULL
);
CREATE TABLE code_events(
  seq      INTEGER PRIMARY KEY,
  key      INTEGER NOT NULL,        -- IndexKey(identity)
  identity TEXT NOT NULL,
  prev     INTEGER,                 -- this pack's previous event (seq), NULL for its first
  entry    INTEGER NOT NULL,
  state    BLOB NOT NULL
);
CREATE TABLE no_code_balance(
  institution TEXT NOT NULL,
  drug        TEXT NOT NULL,
  milli       INTEGER NOT NULL,
  PRIMARY KEY(institution, drug)
) WITHOUT ROWID;
CREATE TABLE receipt_uploaders(institution TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE refdata_entries(entry INTEGER PRIMARY KEY);
CREATE TABLE tokens(
  hash        BLOB PRIMARY KEY,
  role        TEXT NOT NULL,
  institution TEXT NOT NULL,
  region      TEXT NOT NULL,
  label       TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  revoked     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TRIGGER ingest_messages_no_update BEFORE UPDATE ON ingest_messages
  BEGIN SELECT RAISE(ABORT, 'ingest messages are append-only'); END;
CREATE TRIGGER ingest_rows_no_update BEFORE UPDATE ON ingest_rows
  BEGIN SELECT RAISE(ABORT, 'ingest rows are append-only'); END;
CREATE TRIGGER code_events_no_update BEFORE UPDATE ON code_events
  BEGIN SELECT RAISE(ABORT, 'code events are append-only'); END;
)sql";

// Version 3: one row of facts per upload row, derived by ingest when it judged the row (see
// ledger::RowFact), so regulators' reports aggregate compact columns instead of re-reading JSON.
// Like every ingest table it is an index: the hashed entries remain the record.
constexpr const char* kV3 = R"sql(
CREATE TABLE row_facts(
  entry        INTEGER PRIMARY KEY,  -- ledger entry index of the row
  institution  TEXT NOT NULL,
  month        INTEGER NOT NULL,     -- YYYYMM of the row's business time (sale / receipt time)
  time         INTEGER NOT NULL,     -- business time, civil seconds (validator::CivilSeconds)
  infno        INTEGER NOT NULL,     -- 3501..3507
  verdict      INTEGER NOT NULL,     -- 0 ok, 1 warn, 2 block
  settle       INTEGER NOT NULL,     -- validator::SettlementType
  coverage     INTEGER NOT NULL,     -- ledger::CoverageClass
  boxes_milli  INTEGER NOT NULL,
  amount_fen   INTEGER NOT NULL,
  codes        INTEGER NOT NULL,     -- codes scanned on the row
  drug         TEXT NOT NULL,        -- med_list_codg
  psn_hash     TEXT NOT NULL,        -- keyed hash of psn_no ("" if none)
  target_entry INTEGER,              -- 3507: the voided row's entry; 3506: the returned sale's
  rules        TEXT NOT NULL         -- rule ids of the findings, comma-separated
);
-- Covers the coverage report's aggregate (ledger/src/regulator_store.cc): a month's rows are read
-- from this index alone, in institution order, without touching the table.
CREATE INDEX row_facts_month ON row_facts(month, institution, infno, verdict, settle, coverage,
                                          boxes_milli, amount_fen);
-- Voids are few: a partial index finds them all without scanning the facts.
CREATE INDEX row_facts_voids ON row_facts(target_entry) WHERE infno = 3507;
-- Regulators' queries recorded as ledger entries (type 4, kind "audit"), by time for listing.
CREATE TABLE audit_entries(
  entry   INTEGER PRIMARY KEY,       -- ledger entry index of the audit record
  time_ms INTEGER NOT NULL           -- when the query was answered, ms since the Unix epoch
);
CREATE INDEX audit_entries_time ON audit_entries(time_ms);
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER row_facts_no_update BEFORE UPDATE ON row_facts
  BEGIN SELECT RAISE(ABORT, 'row facts are append-only'); END;
CREATE TRIGGER row_facts_no_delete BEFORE DELETE ON row_facts
  BEGIN SELECT RAISE(ABORT, 'row facts are append-only'); END;
-- Suspect-case actions (ledger/include/ledger/case_store.h, docs/suspects.md): one row per
-- case_action entry, written in the entry's transaction; a case's status is its latest row's.
CREATE TABLE case_actions(
  entry         INTEGER PRIMARY KEY,  -- ledger entry index of the case_action entry
  case_id       TEXT NOT NULL,
  action        TEXT NOT NULL,        -- investigate, confirm, dismiss, annotate, assign
  status_before TEXT NOT NULL,
  status_after  TEXT NOT NULL,        -- open, investigating, confirmed, dismissed
  actor         TEXT NOT NULL,
  reason        TEXT NOT NULL,
  assignee      TEXT NOT NULL,
  recovered_fen INTEGER NOT NULL,
  at_ms         INTEGER NOT NULL
);
CREATE INDEX case_actions_case ON case_actions(case_id, entry);
CREATE TRIGGER case_actions_no_update BEFORE UPDATE ON case_actions
  BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END;
CREATE TRIGGER case_actions_no_delete BEFORE DELETE ON case_actions
  BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END;
)sql";

// Version 4: reports read running totals instead of summing row_facts (ledger/src/fact_counters.h).
// The covering index row_facts_month put every insert at a random place of a B-tree as large as
// the facts; it goes. row_facts_time is keyed by month then business time, so inserts append at
// the end of their month, and serves the suspect queries that select a month's rows by time.
// The watermark starts at -1: the writer folds in the existing facts when it first opens.
constexpr const char* kV4 = R"sql(
DROP INDEX IF EXISTS row_facts_month;
CREATE INDEX row_facts_time ON row_facts(month, time);
CREATE TABLE coverage_cells(
  month       INTEGER NOT NULL,
  institution TEXT NOT NULL,
  infno       INTEGER NOT NULL,
  verdict     INTEGER NOT NULL,
  settle      INTEGER NOT NULL,
  coverage    INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  boxes_milli INTEGER NOT NULL,
  amount_fen  INTEGER NOT NULL,
  PRIMARY KEY(month, institution, infno, verdict, settle, coverage)
) WITHOUT ROWID;
CREATE TABLE finding_cells(
  month       INTEGER NOT NULL,
  institution TEXT NOT NULL,
  rule        TEXT NOT NULL,
  rows        INTEGER NOT NULL,
  PRIMARY KEY(month, institution, rule)
) WITHOUT ROWID;
CREATE TABLE missing_drug_cells(
  month       INTEGER NOT NULL,
  institution TEXT NOT NULL,
  drug        TEXT NOT NULL,
  infno       INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  boxes_milli INTEGER NOT NULL,
  amount_fen  INTEGER NOT NULL,
  PRIMARY KEY(month, institution, drug, infno)
) WITHOUT ROWID;
CREATE TABLE fact_counters_state(
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  through_entry INTEGER NOT NULL    -- the counters sum exactly the row_facts with entry <= this
);
INSERT INTO fact_counters_state(id, through_entry) VALUES(1, -1);
)sql";

const char* const kMigrations[] = {kV1, kV2, kV3, kV4};

}  // namespace

Result<int> Version(sqlite3* db) {
  auto st = sql::Stmt::Prepare(db, "PRAGMA user_version");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(st->Int(0));
}

Status Configure(sqlite3* db, bool read_only, int cache_mib, int mmap_mib) {
  std::string cache = "PRAGMA cache_size=-" + std::to_string(cache_mib * 1024);
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, cache.c_str()));
  if (mmap_mib > 0) {
    std::string mmap = "PRAGMA mmap_size=" + std::to_string(std::int64_t{mmap_mib} << 20);
    LEDGER_RETURN_IF_ERROR(sql::Exec(db, mmap.c_str()));
  }
  if (!read_only) {
    LEDGER_RETURN_IF_ERROR(sql::Exec(db, "PRAGMA journal_mode=WAL"));
  }
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, "PRAGMA synchronous=FULL"));
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, "PRAGMA foreign_keys=ON"));
  // Keep the WAL from growing without bound between automatic checkpoints.
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, "PRAGMA journal_size_limit=67108864"));
  return Status::Ok();
}

Status Migrate(sqlite3* db) {
  sql::Transaction txn(db);
  LEDGER_RETURN_IF_ERROR(txn.Begin());
  auto version = Version(db);
  if (!version.ok()) return version.status();
  if (*version > kVersion) {
    return Status::FailedPrecondition("ledger schema version " + std::to_string(*version) +
                                      " is newer than this drugtrace understands (" +
                                      std::to_string(kVersion) + ")");
  }
  for (int v = *version; v < kVersion; ++v) {
    LEDGER_RETURN_IF_ERROR(sql::Exec(db, kMigrations[v]));
  }
  std::string set = "PRAGMA user_version=" + std::to_string(kVersion);
  LEDGER_RETURN_IF_ERROR(sql::Exec(db, set.c_str()));
  return txn.Commit();
}

}  // namespace ledger::schema
