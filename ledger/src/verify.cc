// Full verification: recompute every hash from the entry bytes and compare with everything stored.
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger_impl.h"

namespace ledger {

namespace {

// What a checkpoint (stored or kept elsewhere) says the tree looked like at one size.
struct Expectation {
  std::string source;  // "checkpoint 3", "the external checkpoint"
  Hash root{};
  std::optional<Hash> chain;
};

std::string EntryError(std::uint64_t index, const std::string& what) {
  return "entry " + std::to_string(index) + ": " + what;
}

// Loads and checks stored checkpoints: signature, agreement of the indexed columns with the signed
// note, origin, and non-decreasing sizes.
Status LoadStoredCheckpoints(sqlite3* db, const std::string& origin, const VerifierKey& key,
                             std::multimap<std::uint64_t, Expectation>& out, std::uint64_t& count) {
  auto st = sql::Stmt::Prepare(
      db, "SELECT seq, tree_size, root, chain, note FROM checkpoints ORDER BY seq");
  if (!st.ok()) return st.status();
  std::uint64_t expect_seq = 0, last_size = 0;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const auto seq = static_cast<std::uint64_t>(st->Int(0));
    const std::string where = "checkpoint " + std::to_string(seq);
    if (seq != expect_seq) {
      return Status::Corruption("checkpoint " + std::to_string(expect_seq) + " is missing");
    }
    auto text = OpenNote(st->Text(4), key);
    if (!text.ok()) return Status::Corruption(where + ": " + text.status().message());
    auto cp = Checkpoint::Parse(*text);
    if (!cp.ok()) return Status::Corruption(where + ": " + cp.status().message());
    Hash root_col{}, chain_col{};
    if (cp->origin != origin) {
      return Status::Corruption(where + ": origin '" + cp->origin + "' is not this ledger's");
    }
    if (static_cast<std::uint64_t>(st->Int(1)) != cp->size || !st->HashAt(2, root_col) ||
        root_col != cp->root || !st->HashAt(3, chain_col) ||
        (cp->chain_head && chain_col != *cp->chain_head)) {
      return Status::Corruption(where + ": stored columns differ from the signed note");
    }
    if (cp->size < last_size) {
      return Status::Corruption(where + ": size " + std::to_string(cp->size) +
                                " is smaller than the previous checkpoint's " +
                                std::to_string(last_size));
    }
    last_size = cp->size;
    out.emplace(cp->size, Expectation{where, cp->root, cp->chain_head});
    ++expect_seq;
  }
  count = expect_seq;
  return Status::Ok();
}

Status CheckExpectations(const std::multimap<std::uint64_t, Expectation>& expect,
                         std::uint64_t size, const Hash& root, const Hash& chain) {
  auto [lo, hi] = expect.equal_range(size);
  for (auto it = lo; it != hi; ++it) {
    if (it->second.root != root) {
      return Status::Corruption(it->second.source + " (size " + std::to_string(size) +
                                "): the ledger's first " + std::to_string(size) +
                                " entries have a different Merkle root; history was rewritten");
    }
    if (it->second.chain && *it->second.chain != chain) {
      return Status::Corruption(it->second.source + " (size " + std::to_string(size) +
                                "): chain head differs");
    }
  }
  return Status::Ok();
}

// Rows copied out of SQLite in bulk, so hashing can run on another thread than the B-tree walk.
struct Chunk {
  std::vector<std::uint64_t> idx;
  std::vector<Hash> leaf, chain;
  std::vector<Hash> recomputed_leaf;  // SHA-256(0x00 || body), computed on the reader thread
  std::vector<bool> leaf_ok, chain_ok;
  std::string nodes;
  std::vector<std::size_t> nodes_end;

  std::size_t size() const { return idx.size(); }
  Bytes Nodes(std::size_t r) const { return Slice(nodes, nodes_end, r); }
  void Clear() {
    idx.clear(), leaf.clear(), chain.clear(), leaf_ok.clear(), chain_ok.clear();
    recomputed_leaf.clear();
    nodes.clear(), nodes_end.clear();
  }

 private:
  static Bytes Slice(const std::string& all, const std::vector<std::size_t>& ends, std::size_t r) {
    std::size_t begin = r == 0 ? 0 : ends[r - 1];
    return Bytes(reinterpret_cast<const std::uint8_t*>(all.data()) + begin, ends[r] - begin);
  }
};

class ChunkReader {
 public:
  static constexpr std::size_t kRows = 4096;
  static constexpr std::size_t kQueued = 4;

  explicit ChunkReader(sqlite3* db) : db_(db), thread_([this] { Run(); }) {}
  ~ChunkReader() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // The next chunk in index order; nullptr at the end.
  Result<std::unique_ptr<Chunk>> Next() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !full_.empty() || done_; });
    if (!full_.empty()) {
      auto c = std::move(full_.front());
      full_.pop_front();
      cv_.notify_all();
      return c;
    }
    if (!status_.ok()) return status_;
    return std::unique_ptr<Chunk>();
  }
  void Recycle(std::unique_ptr<Chunk> c) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(c));
  }

 private:
  void Run() {
    Status st = ReadAll();
    std::lock_guard lock(mu_);
    status_ = st;
    done_ = true;
    cv_.notify_all();
  }

  Status ReadAll() {
    auto st =
        sql::Stmt::Prepare(db_, "SELECT idx, body, leaf, chain, nodes FROM entries ORDER BY idx");
    if (!st.ok()) return st.status();
    while (true) {
      std::unique_ptr<Chunk> c = TakeFree();
      if (c == nullptr) return Status::Ok();  // stopped
      bool more = true;
      while (c->size() < kRows) {
        auto row = st->Step();
        if (!row.ok()) return row.status();
        if (!*row) {
          more = false;
          break;
        }
        c->idx.push_back(static_cast<std::uint64_t>(st->Int(0)));
        Bytes body = st->Blob(1);
        c->leaf.emplace_back();
        c->leaf_ok.push_back(st->HashAt(2, c->leaf.back()));
        // Leaf hashes are independent of each other: the reader computes them, so the two cores
        // share the hashing (the chain and the tree stay sequential on the verifying thread).
        c->recomputed_leaf.push_back(LeafHash(body));
        c->chain.emplace_back();
        c->chain_ok.push_back(st->HashAt(3, c->chain.back()));
        Bytes nodes = st->Blob(4);
        c->nodes.append(reinterpret_cast<const char*>(nodes.data()), nodes.size());
        c->nodes_end.push_back(c->nodes.size());
      }
      if (c->size() > 0) {
        std::lock_guard lock(mu_);
        full_.push_back(std::move(c));
        cv_.notify_all();
      }
      if (!more) return Status::Ok();
    }
  }

  std::unique_ptr<Chunk> TakeFree() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || full_.size() < kQueued; });
    if (stop_) return nullptr;
    if (free_.empty()) return std::make_unique<Chunk>();
    auto c = std::move(free_.back());
    free_.pop_back();
    c->Clear();
    return c;
  }

  sqlite3* db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Chunk>> full_, free_;
  Status status_;
  bool done_ = false, stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace

Result<VerifyReport> Ledger::Verify(const VerifyOptions& opts) {
  Impl& d = *impl_;
  VerifyReport report;
  // One read transaction: checkpoints and entries come from the same snapshot even while a writer
  // in another connection appends.
  LEDGER_RETURN_IF_ERROR(sql::Exec(d.db.get(), "BEGIN"));
  struct EndRead {
    sqlite3* db;
    ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{d.db.get()};
  std::multimap<std::uint64_t, Expectation> expect;
  LEDGER_RETURN_IF_ERROR(
      LoadStoredCheckpoints(d.db.get(), d.origin, d.verifier, expect, report.checkpoints));
  if (opts.external_checkpoint) {
    const VerifierKey& key = opts.key ? *opts.key : d.verifier;
    auto text = OpenNote(*opts.external_checkpoint, key);
    if (!text.ok()) return Status::Corruption("external checkpoint: " + text.status().message());
    auto cp = Checkpoint::Parse(*text);
    if (!cp.ok()) return Status::Corruption("external checkpoint: " + cp.status().message());
    if (cp->origin != d.origin) {
      return Status::FailedPrecondition("external checkpoint is for origin '" + cp->origin +
                                        "', this ledger is '" + d.origin + "'");
    }
    expect.emplace(cp->size, Expectation{"the external checkpoint", cp->root, cp->chain_head});
    report.external_checkpoint_checked = true;
  }

  // A reader thread copies rows out of SQLite while this thread hashes: on two cores the two halves
  // of the work overlap.
  ChunkReader reader(d.db.get());
  merkle::RootBuilder tree;
  Hash chain{};
  LEDGER_RETURN_IF_ERROR(CheckExpectations(expect, 0, merkle::EmptyRoot(), chain));
  // The next tree size a checkpoint vouches for (0: none left), so the per-entry loop does no
  // map look-up.
  std::uint64_t next_expected = 0;
  if (auto first = expect.upper_bound(0); first != expect.end()) next_expected = first->first;
  std::uint64_t n = 0;
  while (true) {
    auto chunk = reader.Next();
    if (!chunk.ok()) return chunk.status();
    if (*chunk == nullptr) break;
    const Chunk& c = **chunk;
    for (std::size_t r = 0; r < c.size(); ++r, ++n) {
      if (c.idx[r] != n) {
        return Status::Corruption(EntryError(
            n, c.idx[r] > n ? "missing (next stored entry is " + std::to_string(c.idx[r]) + ")"
                            : "index out of order"));
      }
      const Hash& leaf = c.recomputed_leaf[r];
      if (!c.leaf_ok[r] || c.leaf[r] != leaf) {
        return Status::Corruption(
            EntryError(n, "leaf hash differs from SHA-256(0x00 || entry bytes)"));
      }
      chain = ChainHash(chain, leaf);
      if (!c.chain_ok[r] || c.chain[r] != chain) {
        return Status::Corruption(EntryError(n, "chain hash differs from the recomputed chain"));
      }
      tree.Add(leaf);
      const Bytes nodes = c.Nodes(r);
      const auto& done = tree.completed();
      bool nodes_ok = nodes.size() == done.size() * 32;
      for (std::size_t k = 0; nodes_ok && k < done.size(); ++k) {
        nodes_ok = std::memcmp(nodes.data() + 32 * k, done[k].data(), 32) == 0;
      }
      if (!nodes_ok) {
        return Status::Corruption(EntryError(n, "stored Merkle tree nodes differ from recomputed"));
      }
      if (n + 1 == next_expected) {
        LEDGER_RETURN_IF_ERROR(CheckExpectations(expect, n + 1, tree.Root(), chain));
        auto after = expect.upper_bound(n + 1);
        next_expected = after == expect.end() ? 0 : after->first;
      }
      if (opts.progress && (n + 1) % (1u << 20) == 0) opts.progress(n + 1);
    }
    reader.Recycle(std::move(*chunk));
  }
  if (!expect.empty() && expect.rbegin()->first > n) {
    const auto& [size, e] = *expect.rbegin();
    return Status::Corruption(e.source + " covers " + std::to_string(size) +
                              " entries but the ledger holds only " + std::to_string(n) +
                              "; entries were removed from the end");
  }
  if (n < d.size) {
    return Status::Corruption("the ledger holds " + std::to_string(n) + " entries, but held " +
                              std::to_string(d.size) + " when it was opened");
  }
  report.entries = n;
  report.root = tree.Root();
  report.chain_head = chain;
  return report;
}

}  // namespace ledger
