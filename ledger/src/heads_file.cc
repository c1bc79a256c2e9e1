#include "heads_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include "secret_files.h"

namespace ledger::heads {

namespace {

static_assert(std::endian::native == std::endian::little,
              "the heads file stores slots in little-endian host order");
static_assert(sizeof(HashIndex::Entry) == 16);

constexpr char kMagic[8] = {'D', 'T', 'H', 'E', 'A', 'D', 'S', '1'};
constexpr std::uint64_t kVersion = 1;

// Header: magic, version, ledger size, chain head, then per table (messages, rows, packs):
// next, count, last key, slot count, SHA-256 of the slots; then the event count and a SHA-256 of
// everything before it. The slots follow, table after table.
constexpr std::size_t kTableBytes = 4 * 8 + 32;
constexpr std::size_t kHeaderBody = 8 + 8 + 8 + 32 + 3 * kTableBytes + 8;
constexpr std::size_t kHeaderBytes = kHeaderBody + 32;

struct TableHeader {
  std::uint64_t next = 0, count = 0, last_key = 0, slots = 0;
  Hash sha{};
};

void PutU64(std::string& out, std::uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

std::uint64_t GetU64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

Bytes SlotBytes(const std::vector<HashIndex::Entry>& slots) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(slots.data()),
               slots.size() * sizeof(HashIndex::Entry));
}

struct TableSpec {
  const char* last_key_sql;  // the key of the row just before `next`
  std::uint64_t start;       // `next` of an empty table
};
constexpr const char* kNames[3] = {"ingest_messages", "ingest_rows", "code_events"};
constexpr TableSpec kSpecs[3] = {
    {"SELECT key FROM ingest_messages WHERE seq = ?1", 1},
    {"SELECT key FROM ingest_rows WHERE entry = ?1", 0},
    {"SELECT key FROM code_events WHERE seq = ?1", 1},
};

// The key stored at `pk` in table `t`, or nullopt when there is no such row.
Result<std::optional<std::uint64_t>> KeyAt(sqlite3* db, int t, std::uint64_t pk) {
  auto st = sql::Stmt::Prepare(db, kSpecs[t].last_key_sql);
  if (!st.ok()) return st.status();
  st->Bind(1, static_cast<std::int64_t>(pk));
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(st->Int(0)));
}

Status WriteAll(int fd, const void* data, std::size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return files::ErrnoStatus("writing heads file " + path);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return Status::Ok();
}

bool ReadAt(int fd, void* data, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
  return true;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string PathFor(const std::string& db_path) {
  return db_path + ".heads";
}

Status Write(sqlite3* db, const std::string& path, std::uint64_t ledger_size,
             const Hash& chain_head, const HashIndex& messages, const HashIndex& rows,
             const HashIndex& packs, const Counts& c) {
  const HashIndex* indexes[3] = {&messages, &rows, &packs};
  const std::uint64_t nexts[3] = {c.next_message_seq, c.next_row_entry, c.next_event_seq};
  const std::uint64_t counts[3] = {c.message_count, c.row_count, c.pack_count};
  std::string header(kMagic, sizeof kMagic);
  PutU64(header, kVersion);
  PutU64(header, ledger_size);
  header.append(reinterpret_cast<const char*>(chain_head.data()), chain_head.size());
  for (int i = 0; i < 3; ++i) {
    std::uint64_t last_key = 0;
    if (nexts[i] > kSpecs[i].start) {
      auto key = KeyAt(db, i, nexts[i] - 1);
      if (!key.ok()) return key.status();
      if (!*key) {
        return Status::FailedPrecondition("heads file: the index covers row " +
                                          std::to_string(nexts[i] - 1) + " of " + kNames[i] +
                                          ", which the database does not hold");
      }
      last_key = **key;
    }
    PutU64(header, nexts[i]);
    PutU64(header, counts[i]);
    PutU64(header, last_key);
    PutU64(header, indexes[i]->slots().size());
    const Hash sha = Sha256(SlotBytes(indexes[i]->slots()));
    header.append(reinterpret_cast<const char*>(sha.data()), sha.size());
  }
  PutU64(header, c.event_count);
  const Hash hsha = Sha256(AsBytes(header));
  header.append(reinterpret_cast<const char*>(hsha.data()), hsha.size());

  const std::string tmp = path + ".tmp";
  Fd f;
  f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (f.fd < 0) return files::ErrnoStatus("creating heads file " + tmp);
  Status st = WriteAll(f.fd, header.data(), header.size(), tmp);
  for (int i = 0; i < 3 && st.ok(); ++i) {
    const Bytes b = SlotBytes(indexes[i]->slots());
    st = WriteAll(f.fd, b.data(), b.size(), tmp);
  }
  // No fsync: a file torn by a power cut fails its checksums and the next open scans instead.
  if (st.ok() && ::close(f.fd) != 0) st = files::ErrnoStatus("closing heads file " + tmp);
  f.fd = -1;
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = files::ErrnoStatus("renaming " + tmp + " to " + path);
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

Result<Loaded> Read(sqlite3* db, const std::string& path, bool packs_only, Tables& t) {
  Loaded out;
  auto refuse = [&out](std::string why) {
    out.ok = false;
    out.why = std::move(why);
    return out;
  };
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return refuse(errno == ENOENT ? "no heads file" : std::strerror(errno));
  std::array<std::uint8_t, kHeaderBytes> h{};
  if (!ReadAt(f.fd, h.data(), h.size(), 0)) return refuse("heads file shorter than its header");
  if (std::memcmp(h.data(), kMagic, sizeof kMagic) != 0) return refuse("not a heads file");
  if (Sha256(Bytes(h.data(), kHeaderBody)) !=
      *reinterpret_cast<const Hash*>(h.data() + kHeaderBody)) {
    return refuse("heads file header checksum differs");
  }
  if (GetU64(h.data() + 8) != kVersion) return refuse("heads file version differs");
  out.ledger_size = GetU64(h.data() + 16);
  Hash chain{};
  std::memcpy(chain.data(), h.data() + 24, 32);
  TableHeader th[3];
  for (int i = 0; i < 3; ++i) {
    const std::uint8_t* p = h.data() + 56 + i * kTableBytes;
    th[i].next = GetU64(p);
    th[i].count = GetU64(p + 8);
    th[i].last_key = GetU64(p + 16);
    th[i].slots = GetU64(p + 24);
    std::memcpy(th[i].sha.data(), p + 32, 32);
    if (th[i].slots > (std::uint64_t{1} << 36)) return refuse("heads file table too large");
  }
  const std::uint64_t event_count = GetU64(h.data() + 56 + 3 * kTableBytes);

  // The file must describe a prefix of this ledger: same chain head at its size, same last keys.
  if (out.ledger_size == 0) return refuse("heads file describes an empty ledger");
  {
    auto st = sql::Stmt::Prepare(db, "SELECT chain FROM entries WHERE idx = ?1");
    if (!st.ok()) return st.status();
    st->Bind(1, static_cast<std::int64_t>(out.ledger_size - 1));
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return refuse("heads file describes a longer ledger");
    Hash stored{};
    if (!st->HashAt(0, stored) || stored != chain)
      return refuse("heads file describes another ledger (chain differs)");
  }
  for (int i = packs_only ? 2 : 0; i < 3; ++i) {
    if (th[i].next <= kSpecs[i].start) continue;
    auto key = KeyAt(db, i, th[i].next - 1);
    if (!key.ok()) return key.status();
    if (!*key || **key != th[i].last_key) return refuse("heads file index rows differ");
  }

  std::vector<HashIndex::Entry> slots[3];
  std::uint64_t offset = kHeaderBytes;
  for (int i = 0; i < 3; ++i) {
    const std::uint64_t bytes = th[i].slots * sizeof(HashIndex::Entry);
    if (i == 2 || !packs_only) {
      slots[i].resize(th[i].slots);
      if (!ReadAt(f.fd, slots[i].data(), bytes, offset)) return refuse("heads file is truncated");
      if (Sha256(SlotBytes(slots[i])) != th[i].sha) return refuse("heads file checksum differs");
    }
    offset += bytes;
  }
  HashIndex idx[3];
  for (int i = packs_only ? 2 : 0; i < 3; ++i) {
    if (!idx[i].Adopt(std::move(slots[i]))) return refuse("heads file table is malformed");
  }
  if (!packs_only) {
    t.messages = std::move(idx[0]);
    t.rows = std::move(idx[1]);
    t.counts.next_message_seq = th[0].next;
    t.counts.next_row_entry = th[1].next;
    t.counts.message_count = th[0].count;
    t.counts.row_count = th[1].count;
  }
  t.packs = std::move(idx[2]);
  t.counts.next_event_seq = th[2].next;
  t.counts.pack_count = th[2].count;
  t.counts.event_count = event_count;
  out.ok = true;
  return out;
}

}  // namespace ledger::heads
