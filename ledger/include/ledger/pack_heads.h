// The pack-head index (IndexKey(identity) -> code_events.seq of the pack's latest event), shared
// by the writer that keeps it (IngestStore) and the daemon's regulator readers, so the daemon holds
// one copy and loads it once. Thread-safe: the writer publishes each commit's heads under a lock;
// a reader takes the candidates under the same lock and checks them on its own connection. Every
// head it sees is committed (published only after the commit), so a reader's next statement sees
// the row.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace ledger {

class PackHeads {
 public:
  PackHeads();
  ~PackHeads();
  // The seqs stored under `key` (hash collisions of different identities may add more than one);
  // the caller compares identities.
  void Candidates(std::uint64_t key, std::vector<std::uint64_t>& out) const;
  // Code events this index covers: seqs below this.
  std::uint64_t next_event_seq() const;
  std::uint64_t pack_count() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger
