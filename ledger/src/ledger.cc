#include "ledger/ledger.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "ledger_impl.h"
#include "schema.h"
#include "secret_files.h"

namespace ledger {

namespace {

using files::ErrnoStatus;

// Writes the signing key with O_EXCL and mode 0600 and fsyncs it (the caller syncs the directory).
Status WriteKeyFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create key file " + path);
  std::string data = text + "\n";
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
            ::fsync(fd) == 0;
  Status st = ok ? Status::Ok() : ErrnoStatus("cannot write key file " + path);
  ::close(fd);
  return st;
}

Result<SignerKey> ReadKeyFile(const std::string& path) {
  auto data = files::ReadSecret(path, "signing key");
  if (!data.ok()) return data.status();
  std::string_view text(*data);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto key = SignerKey::Parse(text);
  OPENSSL_cleanse(data->data(), data->size());
  if (!key.ok())
    return Status::InvalidArgument("bad signing key " + path + ": " + key.status().message());
  return key;
}

std::string DefaultOrigin(const std::string& db_path) {
  std::string stem = std::filesystem::path(db_path).stem().string();
  std::string clean;
  for (char c : stem) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
    clean += keep ? c : '_';
  }
  return "drugtrace/" + (clean.empty() ? std::string("ledger") : clean);
}

Status InsertMeta(sqlite3* db, std::string_view key, std::string_view value) {
  auto st = sql::Stmt::Prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)");
  if (!st.ok()) return st.status();
  return st->Bind(1, key).Bind(2, value).Run();
}

Result<std::string> ReadMeta(sqlite3* db, std::string_view key) {
  auto st = sql::Stmt::Prepare(db, "SELECT value FROM meta WHERE key = ?1");
  if (!st.ok()) return st.status();
  st->Bind(1, key);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Corruption("ledger metadata '" + std::string(key) + "' is missing");
  return std::string(st->Text(0));
}

Status CreateDatabase(const std::string& db_path, const std::string& origin,
                      const VerifierKey& verifier) {
  auto db = sql::OpenDb(db_path, /*read_only=*/false, /*create=*/true);
  if (!db.ok()) return db.status();
  sqlite3* raw = db->get();
  LEDGER_RETURN_IF_ERROR(schema::Configure(raw, false, 8));
  LEDGER_RETURN_IF_ERROR(schema::Migrate(raw));
  sql::Transaction txn(raw);
  LEDGER_RETURN_IF_ERROR(txn.Begin());
  LEDGER_RETURN_IF_ERROR(InsertMeta(raw, "origin", origin));
  LEDGER_RETURN_IF_ERROR(InsertMeta(raw, "verifier_key", verifier.ToString()));
  return txn.Commit();
}

// Makes the new directory entries (database, key) durable.
Status SyncDirectory(const std::string& file_path) {
  std::string dir = std::filesystem::path(file_path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory " + dir);
  Status st = ::fsync(fd) == 0 ? Status::Ok() : ErrnoStatus("cannot sync directory " + dir);
  ::close(fd);
  return st;
}

// Institution codes are index columns printed in exports and reports: printable ASCII only.
Status CheckInstitution(std::string_view code, std::size_t i) {
  if (code.size() > 64) {
    return Status::InvalidArgument("entry " + std::to_string(i) +
                                   " of the batch: institution code longer than 64 characters");
  }
  for (std::size_t k = 0; k < code.size(); ++k) {
    if (code[k] <= ' ' || code[k] > '~') {
      return Status::InvalidArgument("entry " + std::to_string(i) +
                                     " of the batch: institution code has a non-printable or "
                                     "non-ASCII character at position " +
                                     std::to_string(k));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string KeyPathFor(const std::string& db_path) {
  return db_path + ".key";
}
std::string HmacKeyPathFor(const std::string& db_path) {
  return db_path + ".hmac";
}

Result<std::string> LoadOrCreateHmacKey(const std::string& db_path, bool may_create) {
  const std::string path = HmacKeyPathFor(db_path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!may_create) {
      return Status::FailedPrecondition(
          "HMAC key " + path +
          " is missing, but the ledger already holds identifiers hashed with it; restore it "
          "beside the ledger (e.g. from 'drugtrace backup --with-keys') instead of starting a new "
          "one");
    }
    std::uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
      return Status::IoError("no random bytes for the HMAC key");
    Status st = WriteKeyFile(path, ToHex(Bytes(raw, sizeof raw)));
    OPENSSL_cleanse(raw, sizeof raw);
    if (!st.ok() && st.code() != Code::kAlreadyExists) return st;
  }
  auto data = files::ReadSecret(path, "HMAC key");
  if (!data.ok()) return data.status();
  if (data->size() < 64) return Status::InvalidArgument("HMAC key " + path + " is too short");
  auto key = FromHex(std::string_view(*data).substr(0, 64));
  OPENSSL_cleanse(data->data(), data->size());
  if (!key) return Status::InvalidArgument("HMAC key " + path + " is not 64 hex digits");
  return *key;
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;

std::uint64_t Ledger::size() const {
  return impl_->size;
}
const std::string& Ledger::origin() const {
  return impl_->origin;
}
const VerifierKey& Ledger::verifier() const {
  return impl_->verifier;
}
Hash Ledger::chain_head() const {
  return impl_->chain_head;
}

Result<std::unique_ptr<Ledger>> Ledger::Init(const std::string& db_path, const InitOptions& opts) {
  const std::string key_path = KeyPathFor(db_path);
  std::error_code ec;
  if (std::filesystem::exists(db_path, ec)) {
    return Status::AlreadyExists("ledger " + db_path + " already exists; refusing to overwrite");
  }
  if (std::filesystem::exists(key_path, ec)) {
    return Status::AlreadyExists("signing key " + key_path +
                                 " already exists; refusing to overwrite");
  }
  const std::string origin = opts.origin.empty() ? DefaultOrigin(db_path) : opts.origin;
  auto key = SignerKey::Generate(origin);
  if (!key.ok()) {
    return Status::InvalidArgument("bad origin '" + origin + "': " + key.status().message());
  }
  // The key first: a database never exists without its key. On any later failure both go again.
  LEDGER_RETURN_IF_ERROR(WriteKeyFile(key_path, key->ToString()));
  Status st = CreateDatabase(db_path, origin, key->verifier());
  if (st.ok()) st = SyncDirectory(db_path);
  if (!st.ok()) {
    std::filesystem::remove(db_path, ec);
    std::filesystem::remove(db_path + "-wal", ec);
    std::filesystem::remove(db_path + "-shm", ec);
    std::filesystem::remove(key_path, ec);
    return st;
  }
  return Open(db_path);
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& db_path, const OpenOptions& opts) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec)) {
    return Status::NotFound("no ledger at " + db_path + " (create one with 'drugtrace init')");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = db_path;
  impl->read_only = opts.read_only;
  auto db = sql::OpenDb(db_path, opts.read_only, /*create=*/false);
  if (!db.ok()) return db.status();
  impl->db = std::move(*db);
  sqlite3* raw = impl->db.get();
  Status st = schema::Configure(raw, opts.read_only, opts.cache_mib, opts.mmap_mib);
  if (st.ok() && !opts.auto_checkpoint) {
    st = sql::Exec(raw, "PRAGMA wal_autocheckpoint=0");
    if (st.ok() && !opts.read_only && opts.wal_restart_bytes > 0) {
      // Registered after the pragma, which clears any wal hook.
      sqlite3_wal_hook(
          raw,
          [](void* arg, sqlite3*, const char*, int frames) {
            static_cast<Impl*>(arg)->wal_frames = frames;
            return SQLITE_OK;
          },
          impl.get());
      auto page = sql::Stmt::Prepare(raw, "PRAGMA page_size");
      std::int64_t page_size = 4096;
      if (page.ok()) {
        auto row = page->Step();
        if (row.ok() && *row) page_size = page->Int(0);
      }
      impl->wal_restart_frames = opts.wal_restart_bytes / (page_size + 24);  // frame header: 24 B
      // Restarted logs are overwritten in place: truncating a WAL of hundreds of MiB at every
      // restart stalled the commit that did it by tens of ms. Only a log that a burst grew past
      // twice the bound is cut back (to twice the bound).
      if (st.ok()) {
        const std::string limit =
            "PRAGMA journal_size_limit=" + std::to_string(2 * opts.wal_restart_bytes);
        st = sql::Exec(raw, limit.c_str());
      }
    }
  }
  if (st.ok()) {
    auto version = schema::Version(raw);
    if (!version.ok()) {
      st = version.status();
    } else if (*version == 0) {
      return Status::Corruption(db_path + " is not a drugtrace ledger (no ledger schema)");
    } else if (*version > schema::kVersion) {
      return Status::FailedPrecondition(
          db_path + " has ledger schema version " + std::to_string(*version) +
          ", newer than this drugtrace understands (" + std::to_string(schema::kVersion) + ")");
    }
  }
  if (st.ok() && !opts.read_only) st = schema::Migrate(raw);
  if (!st.ok()) {
    if (st.code() == Code::kIoError || st.code() == Code::kCorruption) {
      return Status::Corruption(db_path + " is not a drugtrace ledger: " + st.message());
    }
    return st;
  }
  auto origin = ReadMeta(raw, "origin");
  if (!origin.ok()) return origin.status();
  impl->origin = *origin;
  auto vkey_text = ReadMeta(raw, "verifier_key");
  if (!vkey_text.ok()) return vkey_text.status();
  auto vkey = VerifierKey::Parse(*vkey_text);
  if (!vkey.ok()) return Status::Corruption("stored verifier key: " + vkey.status().message());
  impl->verifier = *vkey;
  if (opts.load_signer && !opts.read_only) {
    auto signer = ReadKeyFile(KeyPathFor(db_path));
    if (!signer.ok()) return signer.status();
    if (signer->verifier().ToString() != impl->verifier.ToString()) {
      return Status::FailedPrecondition("signing key " + KeyPathFor(db_path) +
                                        " does not belong to this ledger (expected key " +
                                        impl->verifier.ToString() + ")");
    }
    impl->signer = std::move(*signer);
  }
  LEDGER_RETURN_IF_ERROR(impl->Prepare());
  LEDGER_RETURN_IF_ERROR(impl->LoadState());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Status Ledger::Impl::Prepare() {
  sqlite3* raw = db.get();
  auto prep = [raw](sql::Stmt& out, const char* text) {
    auto st = sql::Stmt::Prepare(raw, text);
    if (!st.ok()) return st.status();
    out = std::move(*st);
    return Status::Ok();
  };
  if (!read_only) {
    LEDGER_RETURN_IF_ERROR(prep(insert_entry,
                                "INSERT INTO entries(idx, type, event_time, institution, body, "
                                "leaf, chain, nodes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  }
  LEDGER_RETURN_IF_ERROR(prep(select_entry,
                              "SELECT idx, type, event_time, institution, body, leaf, chain "
                              "FROM entries WHERE idx = ?1"));
  LEDGER_RETURN_IF_ERROR(prep(select_hashes, "SELECT leaf, nodes FROM entries WHERE idx = ?1"));
  LEDGER_RETURN_IF_ERROR(prep(scan_entries,
                              "SELECT idx, type, event_time, institution, body, leaf, chain, nodes "
                              "FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx"));
  return Status::Ok();
}

Result<std::uint64_t> Ledger::Impl::StoredSize() {
  auto st = sql::Stmt::Prepare(db.get(), "SELECT max(idx) FROM entries");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  return st->IsNull(0) ? std::uint64_t{0} : static_cast<std::uint64_t>(st->Int(0)) + 1;
}

Result<bool> Ledger::Refresh() {
  auto stored = impl_->StoredSize();
  if (!stored.ok()) return stored.status();
  if (*stored == impl_->size) return false;
  LEDGER_RETURN_IF_ERROR(impl_->LoadState());
  return true;
}

Status Ledger::Impl::LoadState() {
  auto st =
      sql::Stmt::Prepare(db.get(), "SELECT idx, chain FROM entries ORDER BY idx DESC LIMIT 1");
  if (!st.ok()) return st.status();
  auto row = st->Step();
  if (!row.ok()) return row.status();
  size = 0;
  chain_head = Hash{};
  if (*row) {
    size = static_cast<std::uint64_t>(st->Int(0)) + 1;
    if (!st->HashAt(1, chain_head)) {
      return Status::Corruption("entry " + std::to_string(size - 1) +
                                ": chain hash is not 32 bytes");
    }
  }
  auto frontier_or = merkle::RootBuilder::FromSource(Source(), size);
  if (!frontier_or.ok()) return frontier_or.status();
  frontier = std::move(*frontier_or);
  return Status::Ok();
}

Result<Hash> Ledger::Impl::Node(std::uint32_t level, std::uint64_t index) {
  if (level >= 64 || index >= (std::uint64_t{1} << (63 - level))) {
    return Status::InvalidArgument("tree node out of range");
  }
  const std::uint64_t row = ((index + 1) << level) - 1;
  if (row >= size) {
    return Status::InvalidArgument("tree node (" + std::to_string(level) + ", " +
                                   std::to_string(index) + ") is beyond the tree");
  }
  sql::Stmt& st = select_hashes;
  st.Bind(1, static_cast<std::int64_t>(row));
  auto found = st.Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    st.Reset();
    return Status::Corruption("entry " + std::to_string(row) + " is missing");
  }
  Hash out;
  bool ok;
  if (level == 0) {
    ok = st.HashAt(0, out);
  } else {
    Bytes nodes = st.Blob(1);
    std::size_t off = (level - 1) * out.size();
    ok = nodes.size() >= off + out.size();
    if (ok) std::memcpy(out.data(), nodes.data() + off, out.size());
  }
  st.Reset();
  if (!ok) {
    return Status::Corruption("entry " + std::to_string(row) + ": stored tree node at level " +
                              std::to_string(level) + " is missing");
  }
  return out;
}

Result<std::uint64_t> Ledger::Append(std::span<const EntryInput> entries,
                                     const std::function<Status()>& in_transaction) {
  Impl& d = *impl_;
  if (d.read_only) return Status::FailedPrecondition("ledger opened read-only");
  const std::uint64_t first = d.size;
  // Work on copies of the right edge: they become current only once the commit succeeded.
  for (std::size_t i = 0; i < entries.size(); ++i) {
    LEDGER_RETURN_IF_ERROR(CheckInstitution(entries[i].institution, i));
  }
  merkle::RootBuilder frontier = d.frontier;
  Hash chain = d.chain_head;
  using Ms = std::chrono::duration<double, std::milli>;
  const auto begin_start = std::chrono::steady_clock::now();
  sql::Transaction txn(d.db.get());
  LEDGER_RETURN_IF_ERROR(txn.Begin());
  // Under the write lock: entry indexes the caller derived from size() must still be right.
  auto stored = d.StoredSize();
  if (!stored.ok()) return stored.status();
  const auto entries_start = std::chrono::steady_clock::now();
  d.wal_drains.last_begin_ms = Ms(entries_start - begin_start).count();
  if (*stored != first) {
    return Status::Busy("another process appended to the ledger (it holds " +
                        std::to_string(*stored) + " entries, this writer expected " +
                        std::to_string(first) + "); refresh and retry");
  }
  std::string nodes;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const EntryInput& e = entries[i];
    const Hash leaf = LeafHash(AsBytes(e.bytes));
    chain = ChainHash(chain, leaf);
    frontier.Add(leaf);
    nodes.clear();
    for (const Hash& h : frontier.completed()) {
      nodes.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    sql::Stmt& st = d.insert_entry;
    st.Bind(1, static_cast<std::int64_t>(first + i))
        .Bind(2, static_cast<std::int64_t>(e.type))
        .Bind(3, e.event_time_ms)
        .Bind(4, e.institution)
        .BindBlob(5, AsBytes(e.bytes))
        .BindBlob(6, Bytes(leaf))
        .BindBlob(7, Bytes(chain));
    if (nodes.empty()) {
      st.BindNull(8);
    } else {
      st.BindBlob(8, AsBytes(nodes));
    }
    LEDGER_RETURN_IF_ERROR(st.Run());
  }
  const auto writes_start = std::chrono::steady_clock::now();
  d.wal_drains.last_entries_ms = Ms(writes_start - entries_start).count();
  if (in_transaction) LEDGER_RETURN_IF_ERROR(in_transaction());
  const auto commit_start = std::chrono::steady_clock::now();
  d.wal_drains.last_in_transaction_ms = Ms(commit_start - writes_start).count();
  LEDGER_RETURN_IF_ERROR(txn.Commit());
  const auto committed = std::chrono::steady_clock::now();
  d.wal_drains.last_commit_ms =
      std::chrono::duration<double, std::milli>(committed - commit_start).count();
  d.size = first + entries.size();
  d.chain_head = chain;
  d.frontier = std::move(frontier);
  d.DrainWalIfOver();
  d.wal_drains.last_append_drain_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - committed)
          .count();
  return first;
}

void Ledger::Impl::DrainWalIfOver() {
  if (wal_restart_frames <= 0 || wal_frames < std::max(wal_restart_frames, wal_retry_frames)) {
    return;
  }
  // Between two commits nothing appends to the WAL, so this PASSIVE checkpoint can copy all of
  // it (the background checkpointer has usually copied most already); the next commit then
  // restarts the log and truncates it to journal_size_limit. Failure is not an error: the commit
  // is durable, and the next commit tries again.
  const auto t0 = std::chrono::steady_clock::now();
  int log = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ++wal_drains.drains;
  if (rc != SQLITE_OK || copied < log) {
    // A reader or the background checkpointer held it back: retry after the log has grown by a
    // sixteenth of the bound, not on every commit.
    ++wal_drains.incomplete;
    wal_retry_frames = wal_frames + wal_restart_frames / 16;
  } else {
    wal_retry_frames = 0;
  }
  wal_drains.last_ms = ms;
  wal_drains.max_ms = std::max(wal_drains.max_ms, ms);
  // Until the next commit reports the log's new length, don't try again.
  if (rc == SQLITE_OK && copied >= log) wal_frames = 0;
}

WalDrainStats Ledger::wal_drain_stats() const {
  WalDrainStats s = impl_->wal_drains;
  s.wal_frames = impl_->wal_frames;
  return s;
}

namespace {

Status ReadEntry(const sql::Stmt& st, Entry& e) {
  e.index = static_cast<std::uint64_t>(st.Int(0));
  e.type = static_cast<std::uint32_t>(st.Int(1));
  e.event_time_ms = st.Int(2);
  e.institution = std::string(st.Text(3));
  Bytes body = st.Blob(4);
  e.bytes.assign(reinterpret_cast<const char*>(body.data()), body.size());
  if (!st.HashAt(5, e.leaf) || !st.HashAt(6, e.chain)) {
    return Status::Corruption("entry " + std::to_string(e.index) + ": stored hash is not 32 bytes");
  }
  return Status::Ok();
}

}  // namespace

Result<Entry> Ledger::Get(std::uint64_t index) {
  Impl& d = *impl_;
  if (index >= d.size) {
    return Status::InvalidArgument("entry " + std::to_string(index) +
                                   " is beyond the ledger (size " + std::to_string(d.size) + ")");
  }
  sql::Stmt& st = d.select_entry;
  st.Bind(1, static_cast<std::int64_t>(index));
  auto found = st.Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    st.Reset();
    return Status::Corruption("entry " + std::to_string(index) + " is missing");
  }
  Entry e;
  Status s = ReadEntry(st, e);
  st.Reset();
  if (!s.ok()) return s;
  return e;
}

Status Ledger::Scan(std::uint64_t from, std::uint64_t to,
                    const std::function<Status(const Entry&)>& fn) {
  Impl& d = *impl_;
  sql::Stmt& st = d.scan_entries;
  st.Bind(1, static_cast<std::int64_t>(from)).Bind(2, static_cast<std::int64_t>(to));
  Entry e;
  std::uint64_t expect = from;
  while (true) {
    auto row = st.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Status s = ReadEntry(st, e);
    if (s.ok() && e.index != expect) {
      s = Status::Corruption("entry " + std::to_string(expect) + " is missing");
    }
    if (s.ok()) s = fn(e);
    if (!s.ok()) {
      st.Reset();
      return s;
    }
    ++expect;
  }
  st.Reset();
  if (expect < std::min(to, d.size)) {
    return Status::Corruption("entry " + std::to_string(expect) + " is missing");
  }
  return Status::Ok();
}

Result<Hash> Ledger::Root(std::uint64_t tree_size) {
  if (tree_size > impl_->size) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the ledger (size " + std::to_string(impl_->size) +
                                   ")");
  }
  return merkle::RootAt(impl_->Source(), tree_size);
}

Result<std::vector<Hash>> Ledger::InclusionProof(std::uint64_t index, std::uint64_t tree_size) {
  if (tree_size > impl_->size) {
    return Status::InvalidArgument("tree size " + std::to_string(tree_size) +
                                   " is beyond the ledger (size " + std::to_string(impl_->size) +
                                   ")");
  }
  if (index >= tree_size) {
    return Status::InvalidArgument("index " + std::to_string(index) + " is not in a tree of size " +
                                   std::to_string(tree_size));
  }
  return merkle::InclusionProof(impl_->Source(), index, tree_size);
}

Result<std::vector<Hash>> Ledger::ConsistencyProof(std::uint64_t old_size, std::uint64_t new_size) {
  if (new_size > impl_->size) {
    return Status::InvalidArgument("tree size " + std::to_string(new_size) +
                                   " is beyond the ledger (size " + std::to_string(impl_->size) +
                                   ")");
  }
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("old size must be between 1 and the new size " +
                                   std::to_string(new_size) + ", got " + std::to_string(old_size));
  }
  return merkle::ConsistencyProof(impl_->Source(), old_size, new_size);
}

}  // namespace ledger
