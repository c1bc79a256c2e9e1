#include "fault_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>

namespace ledger::fault_vfs {
namespace {

// What the control file asks for; 0 means "not asked".
struct Spec {
  std::uint64_t write_at = 0;
  std::uint64_t sync_at = 0;
  std::uint64_t lock_at = 0;
  std::uint64_t full_from = 0;
};

enum class Op { kWrite, kSync, kLock };

bool ParseCount(const std::string& value, std::uint64_t& out) {
  if (value.empty() || value.size() > 12) return false;
  out = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return out > 0;
}

bool ParseSpec(const std::string& text, Spec& spec, std::string& error) {
  spec = Spec{};
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word == "off") continue;
    if (word == "full") {
      spec.full_from = 1;
      continue;
    }
    const auto eq = word.find('=');
    const std::string key = word.substr(0, eq);
    std::uint64_t n = 0;
    if (eq == std::string::npos || !ParseCount(word.substr(eq + 1), n)) {
      error = "'" + word + "' is not KEY=N with N >= 1";
      return false;
    }
    if (key == "write") {
      spec.write_at = n;
    } else if (key == "sync") {
      spec.sync_at = n;
    } else if (key == "lock") {
      spec.lock_at = n;
    } else if (key == "full") {
      spec.full_from = n;
    } else {
      error = "unknown fault '" + key + "' (write, sync, lock or full)";
      return false;
    }
  }
  return true;
}

// The shim's state: the control file, the spec last read from it and the operations counted
// since. One per process (SQLite's VFS registry is process-wide).
class Controller {
 public:
  explicit Controller(std::string path) : path_(std::move(path)) {}

  // The SQLite result code an operation must fail with, or SQLITE_OK.
  int Check(Op op) {
    std::lock_guard lock(mu_);
    Reload();
    switch (op) {
      case Op::kWrite:
        ++writes_;
        if (spec_.full_from != 0 && writes_ >= spec_.full_from) return SQLITE_FULL;
        if (spec_.write_at != 0 && writes_ == spec_.write_at) return SQLITE_IOERR_WRITE;
        return SQLITE_OK;
      case Op::kSync:
        ++syncs_;
        if (spec_.sync_at != 0 && syncs_ == spec_.sync_at) return SQLITE_IOERR_FSYNC;
        return SQLITE_OK;
      case Op::kLock:
        ++locks_;
        if (spec_.lock_at != 0 && locks_ == spec_.lock_at) return SQLITE_IOERR_LOCK;
        return SQLITE_OK;
    }
    return SQLITE_OK;
  }

 private:
  // Re-reads the control file; a changed content is a new spec with fresh counters.
  void Reload() {
    std::string text;
    if (std::FILE* f = std::fopen(path_.c_str(), "rb")) {
      char buf[256];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
      std::fclose(f);
    }
    if (text == text_) return;
    text_ = text;
    writes_ = syncs_ = locks_ = 0;
    std::string error;
    if (!ParseSpec(text, spec_, error)) {
      std::fprintf(stderr, "drugtrace: %s=%s: %s; no faults injected\n", kEnvironmentVariable,
                   path_.c_str(), error.c_str());
      spec_ = Spec{};
    }
  }

  const std::string path_;
  std::mutex mu_;
  std::string text_;  // the control file's content when last read
  Spec spec_;
  std::uint64_t writes_ = 0, syncs_ = 0, locks_ = 0;
};

Controller* g_controller = nullptr;
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs;

// A file of the shim: the base VFS's file follows it in the same allocation.
struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<FaultFile*>(f)->real();
}

int Close(sqlite3_file* f) {
  return Real(f)->pMethods->xClose(Real(f));
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (int rc = g_controller->Check(Op::kWrite); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (int rc = g_controller->Check(Op::kSync); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) {
  if (int rc = g_controller->Check(Op::kLock); rc != SQLITE_OK) return rc;
  return Real(f)->pMethods->xLock(Real(f), level);
}
int Unlock(sqlite3_file* f, int level) {
  return Real(f)->pMethods->xUnlock(Real(f), level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) {
  return Real(f)->pMethods->xSectorSize(Real(f));
}
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  Real(f)->pMethods->xShmBarrier(Real(f));
}
int ShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

// One method table per version of the base file's table (the unix VFS uses 3; 1 and 2 lack the
// shared-memory and mmap methods, which must then be null).
sqlite3_io_methods g_methods[3];

void InitMethods() {
  for (int v = 1; v <= 3; ++v) {
    sqlite3_io_methods& m = g_methods[v - 1];
    m = sqlite3_io_methods{};
    m.iVersion = v;
    m.xClose = Close;
    m.xRead = Read;
    m.xWrite = Write;
    m.xTruncate = Truncate;
    m.xSync = Sync;
    m.xFileSize = FileSize;
    m.xLock = Lock;
    m.xUnlock = Unlock;
    m.xCheckReservedLock = CheckReservedLock;
    m.xFileControl = FileControl;
    m.xSectorSize = SectorSize;
    m.xDeviceCharacteristics = DeviceCharacteristics;
    if (v >= 2) {
      m.xShmMap = ShmMap;
      m.xShmLock = ShmLock;
      m.xShmBarrier = ShmBarrier;
      m.xShmUnmap = ShmUnmap;
    }
    if (v >= 3) {
      m.xFetch = Fetch;
      m.xUnfetch = Unfetch;
    }
  }
}

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* ff = reinterpret_cast<FaultFile*>(f);
  ff->base.pMethods = nullptr;
  const int rc = g_base->xOpen(g_base, name, ff->real(), flags, out_flags);
  const sqlite3_io_methods* real = ff->real()->pMethods;
  if (real != nullptr) {
    const int v = real->iVersion < 1 ? 1 : (real->iVersion > 3 ? 3 : real->iVersion);
    ff->base.pMethods = &g_methods[v - 1];
  }
  return rc;
}
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void DlError(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) {
  g_base->xDlClose(g_base, handle);
}
int Randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int Sleep(sqlite3_vfs*, int micros) {
  return g_base->xSleep(g_base, micros);
}
int CurrentTime(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

void Install(const char* control_path) {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr) {
    std::fprintf(stderr, "drugtrace: %s: SQLite has no default VFS to wrap\n",
                 kEnvironmentVariable);
    return;
  }
  g_controller = new Controller(control_path);  // lives as long as the process
  InitMethods();
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "drugtrace-fault";
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = g_base->iVersion >= 2 ? CurrentTimeInt64 : nullptr;
  if (int rc = sqlite3_vfs_register(&g_vfs, /*makeDflt=*/1); rc != SQLITE_OK) {
    std::fprintf(stderr, "drugtrace: %s: cannot register the fault VFS: %s\n", kEnvironmentVariable,
                 sqlite3_errstr(rc));
    return;
  }
  std::fprintf(stderr, "drugtrace: TESTING FACILITY: SQLite faults injected as %s (%s) asks\n",
               control_path, kEnvironmentVariable);
}

}  // namespace

void InstallFromEnvironment() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* path = std::getenv(kEnvironmentVariable);
    if (path != nullptr && *path != '\0') Install(path);
  });
}

}  // namespace ledger::fault_vfs
