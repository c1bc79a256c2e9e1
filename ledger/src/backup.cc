// Online backup: SQLite's backup API copies one read snapshot of the source, the copy is verified
// in full under a temporary name, then linked into place (never over an existing file).
#include "ledger/backup.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "ledger_impl.h"
#include "secret_files.h"
#include "sqlite.h"

namespace ledger {

namespace {

using files::ErrnoStatus;
using files::ReadSecret;
using files::WriteSecret;

bool Exists(const std::string& path) {
  struct stat sb {};
  return ::lstat(path.c_str(), &sb) == 0;
}

Status SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open " + path + " to sync it");
  Status st = ::fsync(fd) == 0 ? Status::Ok() : ErrnoStatus("cannot sync " + path);
  ::close(fd);
  return st;
}

std::string DirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

// Removes what a failed backup created, unless released.
class Cleanup {
 public:
  ~Cleanup() {
    std::error_code ec;
    for (const auto& p : paths_) std::filesystem::remove(p, ec);
  }
  void Add(std::string path) { paths_.push_back(std::move(path)); }
  void Release() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

// Copies `src` (a read snapshot taken in one step) into the empty database file `dest_path`.
Status CopyDatabase(sqlite3* src, const std::string& dest_path) {
  auto dest = sql::OpenDb(dest_path, /*read_only=*/false, /*create=*/false);
  if (!dest.ok()) return dest.status();
  sqlite3* raw = dest->get();
  LEDGER_RETURN_IF_ERROR(sql::Exec(raw, "PRAGMA synchronous=FULL"));
  sqlite3_backup* b = sqlite3_backup_init(raw, "main", src, "main");
  if (b == nullptr) return sql::SqliteStatus(sqlite3_errcode(raw), raw, "backup to " + dest_path);
  // All pages in one step: one read transaction on the source, so the copy is one consistent
  // snapshot. (Copying a few pages per step would restart whenever the writer commits, and a busy
  // daemon commits every few milliseconds.) In WAL mode the writer is not blocked meanwhile.
  // SQLITE_BUSY means the source's read lock could not be had within its busy timeout: try again.
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 20; ++attempt) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const int finish = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    return sql::SqliteStatus(rc, rc == SQLITE_BUSY ? nullptr : raw,
                             "backup to " + dest_path + " did not complete");
  }
  LEDGER_RETURN_IF_ERROR(sql::SqliteStatus(finish, raw, "backup to " + dest_path));
  dest->reset();
  // The copied header says WAL. A backup is better one self-contained file that read-only
  // openers (verify, export) need no -wal or -shm beside: a fresh connection (which reads the
  // header) switches it to a rollback journal; the daemon turns WAL on again when it opens a
  // restored copy for writing.
  auto reopened = sql::OpenDb(dest_path, /*read_only=*/false, /*create=*/false);
  if (!reopened.ok()) return reopened.status();
  return sql::Exec(reopened->get(), "PRAGMA journal_mode=DELETE");
}

// Copies one secret beside the ledger; `check` validates its content first.
Status CopySecret(const std::string& from, const std::string& to,
                  const std::function<Status(std::string_view)>& check) {
  auto data = ReadSecret(from);
  if (!data.ok()) return data.status();
  Status st = check(*data);
  if (st.ok()) st = WriteSecret(to, *data);
  OPENSSL_cleanse(data->data(), data->size());
  return st;
}

}  // namespace

Result<BackupReport> Backup(const std::string& db_path, const std::string& to_path,
                            const BackupOptions& opts) {
  std::vector<std::string> targets = {to_path};
  if (opts.with_keys) {
    targets.push_back(KeyPathFor(to_path));
    targets.push_back(HmacKeyPathFor(to_path));
  }
  for (const auto& t : targets) {
    if (Exists(t)) return Status::AlreadyExists(t + " already exists; refusing to overwrite");
  }

  OpenOptions ro;
  ro.read_only = true;
  ro.load_signer = false;
  auto source = Ledger::Open(db_path, ro);
  if (!source.ok()) return source.status();
  // Read before the snapshot: the copy must hold at least what was signed when the backup began.
  auto signed_before = (*source)->LatestCheckpoint();
  if (!signed_before.ok()) return signed_before.status();
  const VerifierKey source_key = (*source)->verifier();

  Cleanup cleanup;
  const std::string tmp = to_path + ".partial-" + std::to_string(::getpid());
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) cleanup.Add(tmp + suffix);
  {
    // Claim the temporary name; an empty file is an empty SQLite database.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      cleanup.Release();
      return ErrnoStatus("cannot create " + tmp);
    }
    ::close(fd);
  }
  LEDGER_RETURN_IF_ERROR(CopyDatabase((*source)->impl().db.get(), tmp));
  source->reset();

  BackupReport report;
  {
    auto copy = Ledger::Open(tmp, ro);
    if (!copy.ok()) return Status::Corruption("the copy does not open: " + copy.status().message());
    VerifyOptions vopts;
    if (*signed_before) {
      vopts.external_checkpoint = (*signed_before)->note;
      vopts.key = source_key;
      report.source_checkpoint_size = (*signed_before)->checkpoint.size;
    }
    auto verified = (*copy)->Verify(vopts);
    if (!verified.ok()) {
      return Status::Corruption("the copy fails verification: " + verified.status().message());
    }
    report.verify = *verified;
    auto latest = (*copy)->LatestCheckpoint();
    if (!latest.ok()) return latest.status();
    if (*latest) report.latest_checkpoint_size = (*latest)->checkpoint.size;
    if ((*copy)->verifier().ToString() != source_key.ToString()) {
      return Status::Corruption("the copy's verifier key differs from the source's");
    }
  }

  if (opts.with_keys) {
    const std::string key_to = KeyPathFor(to_path);
    LEDGER_RETURN_IF_ERROR(CopySecret(KeyPathFor(db_path), key_to, [&](std::string_view text) {
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      auto key = SignerKey::Parse(text);
      if (!key.ok()) {
        return Status::InvalidArgument("bad signing key " + KeyPathFor(db_path) + ": " +
                                       key.status().message());
      }
      if (key->verifier().ToString() != source_key.ToString()) {
        return Status::FailedPrecondition("signing key " + KeyPathFor(db_path) +
                                          " does not belong to this ledger");
      }
      return Status::Ok();
    }));
    cleanup.Add(key_to);
    report.signing_key_copied = true;
    // The HMAC key exists once something hashed a personal identifier (ingest creates it).
    if (Exists(HmacKeyPathFor(db_path))) {
      const std::string hmac_to = HmacKeyPathFor(to_path);
      LEDGER_RETURN_IF_ERROR(
          CopySecret(HmacKeyPathFor(db_path), hmac_to, [&](std::string_view text) {
            if (text.size() < 64 || !FromHex(text.substr(0, 64))) {
              return Status::InvalidArgument("HMAC key " + HmacKeyPathFor(db_path) +
                                             " is not 64 hex digits");
            }
            return Status::Ok();
          }));
      cleanup.Add(hmac_to);
      report.hmac_key_copied = true;
    }
  }

  LEDGER_RETURN_IF_ERROR(SyncPath(tmp, /*directory=*/false));
  // link() never replaces: a file that appeared at `to_path` meanwhile is kept, and we fail.
  if (::link(tmp.c_str(), to_path.c_str()) != 0) return ErrnoStatus("cannot create " + to_path);
  cleanup.Add(to_path);  // until the directory is synced
  ::unlink(tmp.c_str());
  LEDGER_RETURN_IF_ERROR(SyncPath(DirectoryOf(to_path), /*directory=*/true));
  cleanup.Release();
  return report;
}

}  // namespace ledger
