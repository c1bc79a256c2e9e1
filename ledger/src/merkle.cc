// RFC 6962 / RFC 9162 Merkle tree arithmetic over a source of perfect subtree hashes.
//
// Every node of an RFC 6962 tree covers a leaf range [begin, end) whose `begin` is a multiple of
// bit_ceil(end - begin). A node is either perfect (end - begin is a power of two: one stored hash)
// or lies on the right edge of the tree, where it is the right fold of the perfect subtrees given
// by the binary representation of its width. Proofs therefore never look at individual leaves.
#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <string>

namespace ledger::merkle {
namespace {

using std::to_string;

// The RFC 6962 split point k for a node of `width` >= 2 leaves: the largest power of two < width.
std::uint64_t SplitWidth(std::uint64_t width) {
  return std::bit_floor(width - 1);
}

// The stored hash of the perfect subtree [begin, begin + width); width is a power of two and
// begin a multiple of it.
Result<Hash> Perfect(const NodeSource& src, std::uint64_t begin, std::uint64_t width) {
  const int level = std::countr_zero(width);
  return src(static_cast<std::uint32_t>(level), begin >> level);
}

// MTH(D[begin:end]) for a node of the tree (see the file comment), end > begin: one source call
// per set bit of end - begin. Walks the perfect pieces from the right, since MTH of a non-perfect
// node is HASH(perfect left part, MTH(rest)).
Result<Hash> NodeRoot(const NodeSource& src, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t rest = end - begin;
  std::uint64_t pos = end;
  Hash acc{};
  bool first = true;
  while (rest != 0) {
    const std::uint64_t width = rest & (~rest + 1);  // lowest set bit: the rightmost piece
    pos -= width;
    rest -= width;
    Result<Hash> piece = Perfect(src, pos, width);
    if (!piece.ok()) return piece.status();
    acc = first ? *piece : NodeHash(*piece, acc);
    first = false;
  }
  return acc;
}

// Length of PATH(index, D[size]) (index < size): `inner` levels below the point where the paths to
// index and size - 1 diverge, each with a sibling, plus one left sibling for each set bit of the
// index above it (levels where the right edge has no right sibling are skipped).
std::size_t InclusionLength(std::uint64_t index, std::uint64_t size) {
  const int inner = static_cast<int>(std::bit_width(index ^ (size - 1)));
  const int border = std::popcount(inner >= 64 ? 0 : index >> inner);
  return static_cast<std::size_t>(inner + border);
}

// Length of PROOF(old_size, D[new_size]) for 0 < old_size < new_size: the inclusion path of leaf
// old_size - 1 above level ctz(old_size) (the largest perfect subtree ending at old_size), plus
// that subtree's hash itself unless it is the whole old tree (old_size a power of two).
std::size_t ConsistencyLength(std::uint64_t old_size, std::uint64_t new_size) {
  const std::size_t path = InclusionLength(old_size - 1, new_size);
  const std::size_t below = static_cast<std::size_t>(std::countr_zero(old_size));
  return path - below + (std::has_single_bit(old_size) ? 0 : 1);
}

// RFC 9162 §2.1.3.2 step 4.b.ii: on the right border the node has no sibling at the levels where
// its index is even, so climb until it becomes a right child (or the root).
void SkipBorderLevels(std::uint64_t& fn, std::uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

Status WrongLength(std::size_t got, std::size_t want) {
  return Status::Corruption("proof has " + to_string(got) + " hashes, expected " + to_string(want));
}

}  // namespace

Hash EmptyRoot() {
  return Sha256(Bytes());
}

Result<Hash> RootAt(const NodeSource& src, std::uint64_t size) {
  if (size == 0) return EmptyRoot();
  return NodeRoot(src, 0, size);
}

// Walks from the root down to the leaf, collecting the sibling at each level. Left siblings are
// perfect (one call); a right sibling is perfect unless it lies on the right edge, which happens at
// most once (after the first step left the path is inside a perfect subtree): <= 127 calls.
Result<std::vector<Hash>> InclusionProof(const NodeSource& src, std::uint64_t index,
                                         std::uint64_t size) {
  if (index >= size) {
    return Status::InvalidArgument("inclusion proof: leaf index " + to_string(index) +
                                   " is not below tree size " + to_string(size));
  }
  std::vector<Hash> proof;
  std::uint64_t begin = 0, end = size;
  while (end - begin > 1) {
    const std::uint64_t mid = begin + SplitWidth(end - begin);
    const bool go_left = index < mid;
    Result<Hash> sibling = go_left ? NodeRoot(src, mid, end) : Perfect(src, begin, mid - begin);
    if (!sibling.ok()) return sibling.status();
    proof.push_back(*sibling);
    (go_left ? end : begin) = mid;
  }
  std::reverse(proof.begin(), proof.end());  // RFC order: leaf level first
  return proof;
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b), unrolled. Going right keeps `end` == new_size and clears
// b; going left enters a perfect subtree. The walk stops at the node [begin, old_size), which is
// perfect, and whose hash is included unless it is the old root itself (b still true).
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& src, std::uint64_t old_size,
                                           std::uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Status::InvalidArgument("consistency proof: need 0 < old size <= new size, got " +
                                   to_string(old_size) + " and " + to_string(new_size));
  }
  std::vector<Hash> proof;
  std::uint64_t begin = 0, end = new_size;
  bool old_root_known = true;  // the RFC's b
  while (end != old_size) {
    const std::uint64_t mid = begin + SplitWidth(end - begin);
    const bool go_left = old_size <= mid;
    Result<Hash> sibling = go_left ? NodeRoot(src, mid, end) : Perfect(src, begin, mid - begin);
    if (!sibling.ok()) return sibling.status();
    proof.push_back(*sibling);
    if (go_left) {
      end = mid;
    } else {
      begin = mid;
      old_root_known = false;
    }
  }
  if (!old_root_known) {
    Result<Hash> last = Perfect(src, begin, end - begin);
    if (!last.ok()) return last.status();
    proof.push_back(*last);
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       const std::vector<Hash>& proof, const Hash& root) {
  if (index >= size) {
    return Status::InvalidArgument("inclusion: leaf index " + to_string(index) +
                                   " is not below tree size " + to_string(size));
  }
  if (std::size_t want = InclusionLength(index, size); proof.size() != want) {
    return WrongLength(proof.size(), want);
  }
  // fn: the index of the node being computed at the current level; sn: the last node's index.
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return Status::Corruption("proof is longer than the path to the root");
    if ((fn & 1) == 1 || fn == sn) {  // p is a left sibling (or the node is on the border)
      r = NodeHash(p, r);
      if ((fn & 1) == 0) SkipBorderLevels(fn, sn);
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("proof is shorter than the path to the root");
  if (r != root) {
    return Status::Corruption("inclusion of leaf " + to_string(index) + " in tree of size " +
                              to_string(size) + ": computed root differs from the checkpoint root");
  }
  return Status::Ok();
}

namespace {

// old_size 0 (outside RFC 9162, which needs 0 < first): the empty tree is a prefix of every tree,
// so the only valid proof is the empty one, and the old root must be the empty-tree root.
Status VerifyFromEmpty(std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                       const std::vector<Hash>& proof) {
  if (!proof.empty()) return WrongLength(proof.size(), 0);
  if (old_root != EmptyRoot()) {
    return Status::Corruption("old root of the empty tree is not the empty-tree hash");
  }
  if (new_size == 0 && new_root != old_root) {
    return Status::Corruption("new root of the empty tree is not the empty-tree hash");
  }
  return Status::Ok();
}

}  // namespace

// RFC 9162 §2.1.4.2. The proof is a suffix of the inclusion path of leaf old_size - 1 in the new
// tree, starting at the largest perfect subtree that ends at old_size (the seed). Folding in only
// the left siblings reproduces the old root; folding in all of them reproduces the new root.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, const std::vector<Hash>& proof) {
  if (old_size > new_size) {
    return Status::InvalidArgument("consistency: old size " + to_string(old_size) +
                                   " exceeds new size " + to_string(new_size));
  }
  if (old_size == 0) return VerifyFromEmpty(new_size, old_root, new_root, proof);
  if (old_size == new_size) {
    if (!proof.empty()) return WrongLength(proof.size(), 0);
    if (old_root != new_root) return Status::Corruption("equal tree sizes with different roots");
    return Status::Ok();
  }
  if (std::size_t want = ConsistencyLength(old_size, new_size); proof.size() != want) {
    return WrongLength(proof.size(), want);
  }
  // Step 2: a power-of-two old tree is itself the seed, and the proof does not repeat it.
  const bool seed_is_old_root = std::has_single_bit(old_size);
  std::size_t next = seed_is_old_root ? 0 : 1;
  Hash fr = seed_is_old_root ? old_root : proof[0];
  Hash sr = fr;
  // Steps 3-4: start at the seed's level, where the old tree's last node is an even index.
  std::uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  for (; next < proof.size(); ++next) {  // step 6
    const Hash& c = proof[next];
    if (sn == 0) return Status::Corruption("proof is longer than the path to the root");
    if ((fn & 1) == 1 || fn == sn) {  // c is a left sibling: part of both trees
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) SkipBorderLevels(fn, sn);
    } else {  // c is a right sibling: only in the new tree
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("proof is shorter than the path to the root");
  if (fr != old_root) {
    return Status::Corruption("consistency " + to_string(old_size) + " -> " + to_string(new_size) +
                              ": computed old root differs from the checkpoint root");
  }
  if (sr != new_root) {
    return Status::Corruption("consistency " + to_string(old_size) + " -> " + to_string(new_size) +
                              ": computed new root differs from the checkpoint root");
  }
  return Status::Ok();
}

// The right edge of a tree of `size` leaves is one perfect subtree per set bit of size, largest
// (leftmost) first.
Result<RootBuilder> RootBuilder::FromSource(const NodeSource& src, std::uint64_t size) {
  RootBuilder b;
  std::uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    Result<Hash> piece = Perfect(src, begin, width);
    if (!piece.ok()) return piece.status();
    b.stack_.push_back(*piece);
    begin += width;
  }
  b.size_ = size;
  return b;
}

// Like binary increment: each trailing one bit of size_ is a perfect subtree that the new leaf
// completes into one of twice the size.
void RootBuilder::Add(const Hash& leaf_hash) {
  completed_.clear();
  Hash h = leaf_hash;
  for (std::uint64_t carry = size_; (carry & 1) == 1; carry >>= 1) {
    h = NodeHash(stack_.back(), h);
    stack_.pop_back();
    completed_.push_back(h);
  }
  stack_.push_back(h);
  ++size_;
}

Hash RootBuilder::Root() const {
  if (stack_.empty()) return EmptyRoot();
  Hash acc = stack_.back();
  for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) acc = NodeHash(*it, acc);
  return acc;
}

}  // namespace ledger::merkle
