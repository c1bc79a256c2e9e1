#include "sqlite.h"

#include <cstring>

#include "fault_vfs.h"

namespace ledger::sql {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_CANTOPEN:
      return Status::NotFound(msg);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Status::InvalidArgument(msg);
    default:
      return Status::IoError(msg);
  }
}

Result<DbPtr> OpenDb(const std::string& path, bool read_only, bool create) {
  fault_vfs::InstallFromEnvironment();  // tests only; nothing unless DRUGTRACE_FAULT_VFS is set
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return SqliteStatus(rc, raw, "cannot open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return SqliteStatus(rc, nullptr, msg);
}

Result<Stmt> Stmt::Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db, "prepare");
  Stmt s;
  s.db_ = db;
  s.s_.reset(raw);
  return s;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(s_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = SqliteStatus(rc, db_, "step");
  sqlite3_reset(s_.get());
  return st;
}

Status Stmt::Run() {
  int rc = sqlite3_step(s_.get());
  Status st = rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : SqliteStatus(rc, db_, "step");
  Reset();
  return st;
}

std::string_view Stmt::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(s_.get(), col);
  int n = sqlite3_column_bytes(s_.get(), col);
  return p == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

Bytes Stmt::Blob(int col) const {
  const void* p = sqlite3_column_blob(s_.get(), col);
  int n = sqlite3_column_bytes(s_.get(), col);
  return p == nullptr ? Bytes() : Bytes(static_cast<const std::uint8_t*>(p), n);
}

bool Stmt::HashAt(int col, Hash& out) const {
  Bytes b = Blob(col);
  if (b.size() != out.size()) return false;
  std::memcpy(out.data(), b.data(), out.size());
  return true;
}

Transaction::~Transaction() {
  if (active_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin() {
  LEDGER_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  active_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  LEDGER_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  active_ = false;
  return Status::Ok();
}

}  // namespace ledger::sql
