// The reference point every benchmark reports against: plain SQLite inserts of ~200-byte rows with
// a random 20-digit text code index, in transactions of `batch` rows, WAL + synchronous=FULL.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

namespace bench {

// Returns rows per second; the database file is removed afterwards.
inline double RawSqliteRowsPerSecond(const std::string& path, std::uint64_t rows,
                                     std::size_t batch) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE t(id INTEGER PRIMARY KEY, code TEXT, body BLOB);"
               "CREATE INDEX t_code ON t(code);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(code, body) VALUES(?1, ?2)", -1, &st, nullptr);
  std::mt19937_64 rng(7);
  const std::string body(200, 'x');
  char code[32];
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < rows;) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (std::size_t k = 0; k < batch && i < rows; ++k, ++i) {
      const int n = std::snprintf(code, sizeof code, "8%019llu",
                                  static_cast<unsigned long long>(rng() % 10000000000000000000ull));
      sqlite3_bind_text(st, 1, code, n, SQLITE_TRANSIENT);
      sqlite3_bind_blob(st, 2, body.data(), static_cast<int>(body.size()), SQLITE_STATIC);
      sqlite3_step(st);
      sqlite3_reset(st);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sqlite3_finalize(st);
  sqlite3_close(db);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return rows / s;
}

}  // namespace bench
