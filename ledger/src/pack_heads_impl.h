// PackHeads::Impl: the index behind a PackHeads. The writer (IngestStore, one thread) reads it
// without the lock and changes it only while holding `mu` exclusively; other threads read under a
// shared lock.
#pragma once

#include <mutex>
#include <shared_mutex>

#include "hash_index.h"
#include "ledger/pack_heads.h"

namespace ledger {

struct PackHeads::Impl {
  mutable std::shared_mutex mu;
  HashIndex index;
  std::uint64_t next_event_seq = 1;
  std::uint64_t pack_count = 0;
  std::uint64_t event_count = 0;
};

}  // namespace ledger
