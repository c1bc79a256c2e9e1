// Thin RAII layer over the SQLite C API, private to the ledger module. SQLite result codes are
// translated into ledger::Status in exactly one function (SqliteStatus).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace ledger::sql {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

// Translates an SQLite result code (plus the connection's message) into a Status.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

Result<DbPtr> OpenDb(const std::string& path, bool read_only, bool create);
Status Exec(sqlite3* db, const char* sql);

// A prepared statement, reset after each use by Stmt::Reset or the next Bind round.
class Stmt {
 public:
  Stmt() = default;
  static Result<Stmt> Prepare(sqlite3* db, const char* sql);

  Stmt& Bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_.get(), i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindBlob(int i, Bytes v) {
    sqlite3_bind_blob(s_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& BindNull(int i) {
    sqlite3_bind_null(s_.get(), i);
    return *this;
  }
  // Steps once: true when a row is available, false when done; errors as Status.
  Result<bool> Step();
  // Steps to completion of a statement that returns no rows, then resets.
  Status Run();
  void Reset() {
    sqlite3_reset(s_.get());
    sqlite3_clear_bindings(s_.get());
  }

  std::int64_t Int(int col) const { return sqlite3_column_int64(s_.get(), col); }
  std::string_view Text(int col) const;
  Bytes Blob(int col) const;
  bool IsNull(int col) const { return sqlite3_column_type(s_.get(), col) == SQLITE_NULL; }
  // A 32-byte blob column as a Hash, or nullopt if it has another size.
  bool HashAt(int col, Hash& out) const;

 private:
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> s_;
};

// Transaction guard: BEGIN IMMEDIATE on construction via Begin(); rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Status Begin();
  Status Commit();

 private:
  sqlite3* db_;
  bool active_ = false;
};

}  // namespace ledger::sql
