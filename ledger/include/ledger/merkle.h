// RFC 6962 / RFC 9162 Merkle tree arithmetic: roots, inclusion and consistency proofs, computed
// from a source of *perfect* subtree hashes (the ledger stores every one of them), and their
// verification. Pure functions: no storage, no I/O. The tree over n leaves splits at k = the
// largest power of two strictly below n (RFC 6962 §2.1).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace ledger::merkle {

// Returns the hash of the perfect subtree of height `level` (2^level leaves) whose leftmost leaf is
// index * 2^level. Level 0 is the leaf hash itself. Implementations read stored hashes.
using NodeSource = std::function<Result<Hash>(std::uint32_t level, std::uint64_t index)>;

// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot();

// MTH(D[0:size]); O(log size) calls to `src`. size 0 gives EmptyRoot().
Result<Hash> RootAt(const NodeSource& src, std::uint64_t size);

// RFC 6962 §2.1.1 PATH(m, D[n]); requires index < size.
Result<std::vector<Hash>> InclusionProof(const NodeSource& src, std::uint64_t index,
                                         std::uint64_t size);
// RFC 6962 §2.1.2 PROOF(m, D[n]); requires 0 < old_size <= new_size. Empty when old == new.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& src, std::uint64_t old_size,
                                           std::uint64_t new_size);

// RFC 9162 §2.1.3.2. Ok when the proof shows leaf_hash at index in a tree of `size` with `root`.
// Otherwise a kCorruption status saying why (wrong length, root mismatch); kInvalidArgument when
// index >= size.
Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 §2.1.4.2. kInvalidArgument when old_size > new_size; kCorruption for a bad proof.
// old_size == new_size: ok iff the proof is empty and the roots are equal. old_size 0 (which RFC
// 9162 leaves undefined): ok iff the proof is empty and old_root is EmptyRoot().
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, const std::vector<Hash>& proof);

// Computes the root over leaf hashes held in memory (tests, verify): O(n) hashing, O(log n) memory.
class RootBuilder {
 public:
  RootBuilder() = default;
  // Rebuilds the right edge of a tree of `size` leaves from stored hashes: O(log size) calls.
  static Result<RootBuilder> FromSource(const NodeSource& src, std::uint64_t size);

  void Add(const Hash& leaf_hash);
  std::uint64_t size() const { return size_; }
  // Perfect subtree hashes completed by the last Add, from level 1 upwards (the leaf is level 0).
  // The ledger stores these with the entry so that proofs are served without rehashing.
  const std::vector<Hash>& completed() const { return completed_; }
  Hash Root() const;

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> stack_;  // right-edge perfect subtrees, largest first
  std::vector<Hash> completed_;
};

}  // namespace ledger::merkle
