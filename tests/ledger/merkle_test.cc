// Merkle tree math: the published RFC 6962 vectors (google/certificate-transparency, as kept in
// transparency-dev/merkle testonly/ and proof/verify_test.go), a cross-check against the RFC's
// recursive definitions for every small tree, tampered proofs, O(log n) source use on huge trees.
#include "ledger/merkle.h"

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using ledger::Code;
using ledger::Hash;
using ledger::NodeHash;
using ledger::Result;
using ledger::Status;
namespace merkle = ledger::merkle;

Hash HashFromHex(std::string_view hex) {
  auto raw = ledger::FromHex(hex);
  REQUIRE(raw);
  REQUIRE(raw->size() == 32);
  Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

std::vector<Hash> HashesFromHex(const std::vector<std::string>& hex) {
  std::vector<Hash> out;
  for (const auto& h : hex) out.push_back(HashFromHex(h));
  return out;
}

Hash LeafHashOf(const std::string& text) {
  return ledger::LeafHash(ledger::AsBytes(text));
}

Hash Flip(Hash h, int bit) {
  h[static_cast<std::size_t>(bit / 8)] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return h;
}

// The eight classic test leaves (hex-encoded entries).
const std::vector<std::string> kLeafInputs = {"",
                                              "00",
                                              "10",
                                              "2021",
                                              "3031",
                                              "40414243",
                                              "5051525354555657",
                                              "606162636465666768696a6b6c6d6e6f"};

// Published roots of the trees over the first `size` test leaves, size 0..8.
const std::vector<std::string> kRoots = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// Published perfect subtree hashes of the 8-leaf tree, by level then index.
const std::vector<std::vector<std::string>> kNodeHashes = {
    {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
     "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
     "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
     "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
     "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
     "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
    {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
     "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
    {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
    {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
};

struct InclusionVector {
  std::uint64_t index;
  std::uint64_t size;
  std::vector<std::string> proof;
};

// Published inclusion proofs (0-based leaf index).
const std::vector<InclusionVector> kInclusionProofs = {
    {0, 1, {}},
    {0, 2, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"}},
    {1, 2, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

struct ConsistencyVector {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<std::string> proof;
};

const std::vector<ConsistencyVector> kConsistencyProofs = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash> TestLeafHashes() {
  std::vector<Hash> out;
  for (const auto& hex : kLeafInputs) out.push_back(LeafHashOf(*ledger::FromHex(hex)));
  return out;
}

// Distinct leaf hashes for the exhaustive tests.
std::vector<Hash> ManyLeafHashes(std::size_t n) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(LeafHashOf("leaf " + std::to_string(i)));
  return out;
}

// ---- The RFC 6962 §2.1 definitions, written recursively over leaf hashes [b, e). ----

std::size_t RefSplit(std::size_t n) {
  std::size_t k = 1;
  while (2 * k < n) k *= 2;
  return k;
}

Hash RefRoot(const std::vector<Hash>& d, std::size_t b, std::size_t e) {
  if (e - b == 1) return d[b];
  const std::size_t k = RefSplit(e - b);
  return NodeHash(RefRoot(d, b, b + k), RefRoot(d, b + k, e));
}

// PATH(m, D[b:e]), m relative to b.
std::vector<Hash> RefPath(const std::vector<Hash>& d, std::size_t m, std::size_t b, std::size_t e) {
  if (e - b == 1) return {};
  const std::size_t k = RefSplit(e - b);
  std::vector<Hash> p;
  if (m < k) {
    p = RefPath(d, m, b, b + k);
    p.push_back(RefRoot(d, b + k, e));
  } else {
    p = RefPath(d, m - k, b + k, e);
    p.push_back(RefRoot(d, b, b + k));
  }
  return p;
}

// SUBPROOF(m, D[b:e], complete), m relative to b.
std::vector<Hash> RefSubproof(const std::vector<Hash>& d, std::size_t m, std::size_t b,
                              std::size_t e, bool complete) {
  if (m == e - b) return complete ? std::vector<Hash>{} : std::vector<Hash>{RefRoot(d, b, e)};
  const std::size_t k = RefSplit(e - b);
  std::vector<Hash> p;
  if (m <= k) {
    p = RefSubproof(d, m, b, b + k, complete);
    p.push_back(RefRoot(d, b + k, e));
  } else {
    p = RefSubproof(d, m - k, b + k, e, false);
    p.push_back(RefRoot(d, b, b + k));
  }
  return p;
}

// Every perfect subtree hash of a list of leaves, computed level by level, served as a
// NodeSource bounded to a tree size (a request outside that tree is a NotFound error).
class MemoryTree {
 public:
  explicit MemoryTree(std::vector<Hash> leaves) {
    levels_.push_back(std::move(leaves));
    while (levels_.back().size() >= 2) {
      const auto& below = levels_.back();
      std::vector<Hash> level;
      for (std::size_t i = 0; i + 1 < below.size(); i += 2) {
        level.push_back(NodeHash(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(level));
    }
  }

  const std::vector<Hash>& level(std::size_t h) const { return levels_[h]; }

  merkle::NodeSource Source(std::uint64_t size) {
    return [this, size](std::uint32_t level, std::uint64_t index) -> Result<Hash> {
      ++calls;
      if (level >= 64 || index >= (size >> level)) {
        return Status::NotFound("node " + std::to_string(level) + "/" + std::to_string(index) +
                                " is outside the tree of size " + std::to_string(size));
      }
      return levels_[level][index];
    };
  }

  int calls = 0;

 private:
  std::vector<std::vector<Hash>> levels_;
};

// A consistent tree of up to 2^64 - 1 leaves that is cheap to query: every leaf hash is the same
// except at a few `special` positions, so a perfect subtree without special leaves has a hash that
// depends only on its level.
class SparseTree {
 public:
  SparseTree(std::uint64_t size, std::set<std::uint64_t> special)
      : size_(size), special_(std::move(special)) {
    uniform_[0] = LeafHashOf("common leaf");
    for (int h = 1; h < 64; ++h) uniform_[h] = NodeHash(uniform_[h - 1], uniform_[h - 1]);
  }

  Hash Leaf(std::uint64_t i) const {
    return special_.count(i) ? LeafHashOf("special " + std::to_string(i)) : uniform_[0];
  }

  Hash Node(std::uint32_t level, std::uint64_t index) {
    auto it = special_.lower_bound(level >= 64 ? 0 : index << level);
    if (it == special_.end() || (*it >> level) != index) return uniform_[level];
    if (level == 0) return Leaf(index);
    auto key = std::make_pair(level, index);
    if (auto m = memo_.find(key); m != memo_.end()) return m->second;
    Hash h = NodeHash(Node(level - 1, 2 * index), Node(level - 1, 2 * index + 1));
    memo_[key] = h;
    return h;
  }

  merkle::NodeSource Source() {
    return [this](std::uint32_t level, std::uint64_t index) -> Result<Hash> {
      ++calls;
      if (level >= 64 || index >= (size_ >> level)) return Status::NotFound("outside the tree");
      return Node(level, index);
    };
  }

  int calls = 0;

 private:
  std::uint64_t size_;
  std::set<std::uint64_t> special_;
  Hash uniform_[64];
  std::map<std::pair<std::uint32_t, std::uint64_t>, Hash> memo_;
};

Hash MustRoot(const merkle::NodeSource& src, std::uint64_t size) {
  Result<Hash> root = merkle::RootAt(src, size);
  INFO(root.status().ToString());
  REQUIRE(root.ok());
  return *root;
}

// A Status check that prints the message on failure.
#define CHECK_STATUS(expr, want_code) \
  do {                                \
    Status _st = (expr);              \
    INFO(_st.ToString());             \
    CHECK(_st.code() == (want_code)); \
  } while (0)
#define CHECK_OK(expr) CHECK_STATUS(expr, Code::kOk)
#define CHECK_FAILS(expr)  \
  do {                     \
    Status _st = (expr);   \
    INFO(_st.ToString());  \
    CHECK_FALSE(_st.ok()); \
  } while (0)

}  // namespace

TEST_CASE("published roots of the RFC 6962 test leaves", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  REQUIRE(merkle::EmptyRoot() == HashFromHex(kRoots[0]));
  for (std::uint64_t size = 0; size <= 8; ++size) {
    INFO("size " << size);
    CHECK(MustRoot(tree.Source(size), size) == HashFromHex(kRoots[size]));
  }
}

TEST_CASE("the in-memory source holds the published node hashes", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  for (std::size_t h = 0; h < kNodeHashes.size(); ++h) {
    CHECK(tree.level(h) == HashesFromHex(kNodeHashes[h]));
  }
}

TEST_CASE("published inclusion proofs", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  for (const auto& v : kInclusionProofs) {
    INFO("index " << v.index << " size " << v.size);
    auto src = tree.Source(v.size);
    auto proof = merkle::InclusionProof(src, v.index, v.size);
    REQUIRE(proof.ok());
    CHECK(*proof == HashesFromHex(v.proof));
    CHECK_OK(merkle::VerifyInclusion(tree.level(0)[v.index], v.index, v.size,
                                     HashesFromHex(v.proof), HashFromHex(kRoots[v.size])));
  }
}

TEST_CASE("published consistency proofs", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  for (const auto& v : kConsistencyProofs) {
    INFO("sizes " << v.old_size << " -> " << v.new_size);
    auto proof = merkle::ConsistencyProof(tree.Source(v.new_size), v.old_size, v.new_size);
    REQUIRE(proof.ok());
    CHECK(*proof == HashesFromHex(v.proof));
    CHECK_OK(merkle::VerifyConsistency(v.old_size, v.new_size, HashFromHex(kRoots[v.old_size]),
                                       HashFromHex(kRoots[v.new_size]), HashesFromHex(v.proof)));
  }
}

TEST_CASE("proofs match the RFC 6962 definitions for every tree up to 70 leaves", "[merkle]") {
  const std::vector<Hash> leaves = ManyLeafHashes(70);
  MemoryTree tree(leaves);
  for (std::uint64_t n = 1; n <= 70; ++n) {
    INFO("size " << n);
    const int bound =
        2 * static_cast<int>(std::bit_width(n)) + 2;  // O(log n) source calls per proof
    tree.calls = 0;
    const Hash root = MustRoot(tree.Source(n), n);
    CHECK(root == RefRoot(leaves, 0, n));
    CHECK(tree.calls == std::popcount(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      INFO("index " << i);
      tree.calls = 0;
      auto proof = merkle::InclusionProof(tree.Source(n), i, n);
      REQUIRE(proof.ok());
      CHECK(tree.calls <= bound);
      CHECK(*proof == RefPath(leaves, i, 0, n));
      CHECK_OK(merkle::VerifyInclusion(leaves[i], i, n, *proof, root));
    }
    for (std::uint64_t m = 1; m <= n; ++m) {
      INFO("old size " << m);
      tree.calls = 0;
      auto proof = merkle::ConsistencyProof(tree.Source(n), m, n);
      REQUIRE(proof.ok());
      CHECK(tree.calls <= bound);
      CHECK(*proof == RefSubproof(leaves, m, 0, n, true));
      CHECK_OK(merkle::VerifyConsistency(m, n, RefRoot(leaves, 0, m), root, *proof));
    }
  }
}

TEST_CASE("tampered inclusion proofs are rejected", "[merkle]") {
  const std::vector<Hash> leaves = ManyLeafHashes(141);
  MemoryTree tree(leaves);
  std::vector<Hash> roots{merkle::EmptyRoot()};
  for (std::uint64_t n = 1; n <= 141; ++n) roots.push_back(RefRoot(leaves, 0, n));

  for (std::uint64_t n = 1; n <= 70; ++n) {
    for (std::uint64_t i = 0; i < n; ++i) {
      INFO("index " << i << " size " << n);
      const std::vector<Hash> proof = RefPath(leaves, i, 0, n);
      const Hash& leaf = leaves[i];
      const Hash& root = roots[n];
      auto verify = [&](std::vector<Hash> p) {
        return merkle::VerifyInclusion(leaf, i, n, p, root);
      };
      for (std::size_t k = 0; k < proof.size(); ++k) {
        for (int bit : {0, 77, 255}) {
          auto p = proof;
          p[k] = Flip(p[k], bit);
          CHECK_STATUS(verify(p), Code::kCorruption);
        }
      }
      CHECK_STATUS(merkle::VerifyInclusion(Flip(leaf, 3), i, n, proof, root), Code::kCorruption);
      CHECK_STATUS(merkle::VerifyInclusion(leaf, i, n, proof, Flip(root, 200)), Code::kCorruption);
      CHECK_STATUS(merkle::VerifyInclusion(leaf, i, n, proof, merkle::EmptyRoot()),
                   Code::kCorruption);
      for (std::uint64_t j : {i - 1, i + 1, i ^ 2, i ^ 1, n}) {  // i - 1 wraps when i == 0
        if (j != i) CHECK_FAILS(merkle::VerifyInclusion(leaf, j, n, proof, root));
      }
      // A different size, checked against that size's root (the root binds the size).
      for (std::uint64_t m : {n - 1, n + 1, 2 * n, n / 2}) {
        if (m != n && i < m) CHECK_FAILS(merkle::VerifyInclusion(leaf, i, m, proof, roots[m]));
      }
      auto p = proof;
      p.push_back(root);
      CHECK_STATUS(verify(p), Code::kCorruption);
      p = proof;
      p.insert(p.begin(), leaf);
      CHECK_STATUS(verify(p), Code::kCorruption);
      if (!proof.empty()) {
        CHECK_STATUS(verify({proof.begin(), proof.end() - 1}), Code::kCorruption);
        CHECK_STATUS(verify({proof.begin() + 1, proof.end()}), Code::kCorruption);
      }
      for (std::size_t k = 0; k + 1 < proof.size(); ++k) {
        auto q = proof;
        std::swap(q[k], q[k + 1]);
        CHECK_STATUS(verify(q), Code::kCorruption);
      }
    }
  }
}

TEST_CASE("tampered consistency proofs are rejected", "[merkle]") {
  const std::vector<Hash> leaves = ManyLeafHashes(70);
  std::vector<Hash> roots{merkle::EmptyRoot()};
  for (std::uint64_t n = 1; n <= 70; ++n) roots.push_back(RefRoot(leaves, 0, n));

  for (std::uint64_t n = 2; n <= 70; ++n) {
    for (std::uint64_t m = 1; m < n; ++m) {
      INFO("sizes " << m << " -> " << n);
      const std::vector<Hash> proof = RefSubproof(leaves, m, 0, n, true);
      auto verify = [&](std::vector<Hash> p) {
        return merkle::VerifyConsistency(m, n, roots[m], roots[n], p);
      };
      REQUIRE_FALSE(proof.empty());
      for (std::size_t k = 0; k < proof.size(); ++k) {
        auto p = proof;
        p[k] = Flip(p[k], 100);
        CHECK_STATUS(verify(p), Code::kCorruption);
      }
      CHECK_STATUS(merkle::VerifyConsistency(m, n, Flip(roots[m], 1), roots[n], proof),
                   Code::kCorruption);
      CHECK_STATUS(merkle::VerifyConsistency(m, n, roots[m], Flip(roots[n], 1), proof),
                   Code::kCorruption);
      CHECK_STATUS(merkle::VerifyConsistency(m, n, roots[n], roots[m], proof), Code::kCorruption);
      // Other sizes with their own roots.
      for (std::uint64_t m2 : {m - 1, m + 1, m ^ 2}) {
        if (m2 != m && m2 <= n) {
          CHECK_FAILS(merkle::VerifyConsistency(m2, n, roots[m2], roots[n], proof));
        }
      }
      for (std::uint64_t n2 : {n - 1, n + 1}) {
        if (n2 != n && m <= n2 && n2 <= 70) {
          CHECK_FAILS(merkle::VerifyConsistency(m, n2, roots[m], roots[n2], proof));
        }
      }
      CHECK_STATUS(verify({}), Code::kCorruption);
      for (const Hash& extra : {roots[m], roots[n], proof[0]}) {
        auto p = proof;
        p.push_back(extra);
        CHECK_STATUS(verify(p), Code::kCorruption);
        p = proof;
        p.insert(p.begin(), extra);
        CHECK_STATUS(verify(p), Code::kCorruption);
      }
      CHECK_STATUS(verify({proof.begin(), proof.end() - 1}), Code::kCorruption);
      CHECK_STATUS(verify({proof.begin() + 1, proof.end()}), Code::kCorruption);
      for (std::size_t k = 0; k + 1 < proof.size(); ++k) {
        auto q = proof;
        std::swap(q[k], q[k + 1]);
        CHECK_STATUS(verify(q), Code::kCorruption);
      }
    }
  }
}

TEST_CASE("consistency between equal sizes and from the empty tree", "[merkle]") {
  const Hash a = LeafHashOf("a"), b = LeafHashOf("b");
  const Hash empty = merkle::EmptyRoot();
  CHECK_OK(merkle::VerifyConsistency(5, 5, a, a, {}));
  CHECK_STATUS(merkle::VerifyConsistency(5, 5, a, b, {}), Code::kCorruption);
  CHECK_STATUS(merkle::VerifyConsistency(5, 5, a, a, {a}), Code::kCorruption);
  // Old size 0: only the empty proof, and the old root must be the empty-tree root.
  CHECK_OK(merkle::VerifyConsistency(0, 0, empty, empty, {}));
  CHECK_OK(merkle::VerifyConsistency(0, 7, empty, b, {}));
  CHECK_STATUS(merkle::VerifyConsistency(0, 7, empty, b, {empty}), Code::kCorruption);
  CHECK_STATUS(merkle::VerifyConsistency(0, 7, a, b, {}), Code::kCorruption);
  CHECK_STATUS(merkle::VerifyConsistency(0, 0, empty, a, {}), Code::kCorruption);
  CHECK_STATUS(merkle::VerifyConsistency(0, 0, a, a, {}), Code::kCorruption);
  // Time travel.
  CHECK_STATUS(merkle::VerifyConsistency(2, 1, a, b, {}), Code::kInvalidArgument);
  CHECK_STATUS(merkle::VerifyConsistency(1, 0, a, empty, {}), Code::kInvalidArgument);
  // Growth needs a proof.
  CHECK_STATUS(merkle::VerifyConsistency(1, 2, a, b, {}), Code::kCorruption);
}

TEST_CASE("verification messages say what is wrong", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  const auto proof = HashesFromHex(kInclusionProofs[5].proof);  // index 0, size 8
  const Hash leaf = tree.level(0)[0];
  const Hash root = HashFromHex(kRoots[8]);
  Status st = merkle::VerifyInclusion(leaf, 0, 8, {proof[0], proof[1]}, root);
  CHECK(st.message() == "proof has 2 hashes, expected 3");
  st = merkle::VerifyInclusion(leaf, 0, 8, proof, Flip(root, 0));
  CHECK_THAT(st.message(), Catch::Contains("computed root differs from the checkpoint root"));
  st = merkle::VerifyInclusion(leaf, 8, 8, proof, root);
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK_THAT(st.message(), Catch::Contains("8"));
  st = merkle::VerifyConsistency(6, 8, HashFromHex(kRoots[6]), HashFromHex(kRoots[8]), {});
  CHECK(st.message() == "proof has 0 hashes, expected 3");
  st = merkle::VerifyConsistency(6, 8, HashFromHex(kRoots[5]), HashFromHex(kRoots[8]),
                                 HashesFromHex(kConsistencyProofs[2].proof));
  CHECK_THAT(st.message(), Catch::Contains("old root differs"));
}

TEST_CASE("proof requests with invalid arguments", "[merkle]") {
  MemoryTree tree(TestLeafHashes());
  auto src = tree.Source(8);
  CHECK(merkle::InclusionProof(src, 0, 0).status().code() == Code::kInvalidArgument);
  CHECK(merkle::InclusionProof(src, 8, 8).status().code() == Code::kInvalidArgument);
  CHECK(merkle::InclusionProof(src, 9, 8).status().code() == Code::kInvalidArgument);
  CHECK(merkle::ConsistencyProof(src, 0, 8).status().code() == Code::kInvalidArgument);
  CHECK(merkle::ConsistencyProof(src, 0, 0).status().code() == Code::kInvalidArgument);
  CHECK(merkle::ConsistencyProof(src, 5, 4).status().code() == Code::kInvalidArgument);
  auto same = merkle::ConsistencyProof(src, 8, 8);
  REQUIRE(same.ok());
  CHECK(same->empty());
  CHECK(tree.calls == 0);
  CHECK(MustRoot(src, 0) == merkle::EmptyRoot());
}

TEST_CASE("source errors propagate", "[merkle]") {
  MemoryTree tree(ManyLeafHashes(64));
  auto good = tree.Source(64);
  // Fails on one particular node; every operation that needs it must return that error.
  auto failing = [&](std::uint32_t level, std::uint64_t index) -> Result<Hash> {
    if (level == 1 && index == 6) return Status::IoError("disk on fire");  // leaves [12, 14)
    return good(level, index);
  };
  auto is_io = [](const Status& st) { return st.code() == Code::kIoError; };
  CHECK(is_io(merkle::RootAt(failing, 15).status()));
  CHECK(is_io(merkle::InclusionProof(failing, 0, 15).status()));   // right-edge sibling [8, 15)
  CHECK(is_io(merkle::InclusionProof(failing, 14, 15).status()));  // left sibling [12, 14)
  CHECK(is_io(merkle::InclusionProof(failing, 15, 16).status()));
  CHECK(is_io(merkle::ConsistencyProof(failing, 14, 16).status()));  // the old subtree [12, 14)
  CHECK(is_io(merkle::ConsistencyProof(failing, 2, 15).status()));
  CHECK(is_io(merkle::RootBuilder::FromSource(failing, 15).status()));
  CHECK(merkle::RootAt(failing, 8).ok());
}

TEST_CASE("huge trees need O(log n) source calls", "[merkle]") {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  constexpr int kBound = 2 * 64 + 2;
  for (std::uint64_t n : {std::uint64_t{1'000'000'000'037}, (std::uint64_t{1} << 40) - 1,
                          std::uint64_t{1} << 62, (std::uint64_t{1} << 63) + 12345, kMax}) {
    for (std::uint64_t i : {std::uint64_t{0}, n / 3, n / 2, n - 2, n - 1}) {
      INFO("size " << n << " index " << i);
      SparseTree tree(n, {0, i, i ^ 1, n / 5, n - 1});
      auto src = tree.Source();
      const Hash root = MustRoot(src, n);
      CHECK(tree.calls <= 64);

      tree.calls = 0;
      auto proof = merkle::InclusionProof(src, i, n);
      REQUIRE(proof.ok());
      CHECK(tree.calls <= kBound);
      CHECK_OK(merkle::VerifyInclusion(tree.Leaf(i), i, n, *proof, root));
      CHECK_STATUS(merkle::VerifyInclusion(tree.Leaf(i), i, n, *proof, Flip(root, 9)),
                   Code::kCorruption);

      const std::uint64_t m = i + 1;  // consistency from the tree ending at leaf i
      tree.calls = 0;
      auto cproof = merkle::ConsistencyProof(src, m, n);
      REQUIRE(cproof.ok());
      CHECK(tree.calls <= kBound);
      const Hash old_root = MustRoot(src, m);
      CHECK_OK(merkle::VerifyConsistency(m, n, old_root, root, *cproof));
      if (!cproof->empty()) {
        auto bad = *cproof;
        bad.back() = Flip(bad.back(), 17);
        CHECK_STATUS(merkle::VerifyConsistency(m, n, old_root, root, bad), Code::kCorruption);
      }

      tree.calls = 0;
      auto builder = merkle::RootBuilder::FromSource(src, n);
      REQUIRE(builder.ok());
      CHECK(tree.calls <= 64);
      CHECK(builder->Root() == root);
    }
  }
}

TEST_CASE("RootBuilder matches RootAt and reports completed subtrees", "[merkle]") {
  const std::vector<Hash> leaves = ManyLeafHashes(300);
  MemoryTree tree(leaves);
  merkle::RootBuilder builder;
  CHECK(builder.size() == 0);
  CHECK(builder.Root() == merkle::EmptyRoot());
  for (std::uint64_t i = 0; i < leaves.size(); ++i) {
    INFO("leaf " << i);
    builder.Add(leaves[i]);
    const std::uint64_t n = i + 1;
    REQUIRE(builder.size() == n);
    CHECK(builder.Root() == MustRoot(tree.Source(n), n));
    // Leaf i completes the perfect subtrees ending at n at levels 1..ctz(n).
    const auto& done = builder.completed();
    REQUIRE(done.size() == static_cast<std::size_t>(std::countr_zero(n)));
    for (std::size_t h = 1; h <= done.size(); ++h) {
      CHECK(done[h - 1] == tree.level(h)[(n >> h) - 1]);
    }
  }
}

TEST_CASE("RootBuilder completed() gives the published node hashes", "[merkle]") {
  merkle::RootBuilder builder;
  std::vector<std::vector<Hash>> levels(4);
  for (const Hash& leaf : TestLeafHashes()) {
    builder.Add(leaf);
    levels[0].push_back(leaf);
    for (std::size_t h = 1; h <= builder.completed().size(); ++h) {
      levels[h].push_back(builder.completed()[h - 1]);
    }
    CHECK(builder.Root() == HashFromHex(kRoots[builder.size()]));
  }
  for (std::size_t h = 0; h < levels.size(); ++h) {
    CHECK(levels[h] == HashesFromHex(kNodeHashes[h]));
  }
}

TEST_CASE("RootBuilder::FromSource continues where the stored tree ends", "[merkle]") {
  const std::vector<Hash> leaves = ManyLeafHashes(130);
  MemoryTree tree(leaves);
  for (std::uint64_t size : {0u, 1u, 2u, 3u, 7u, 8u, 31u, 64u, 65u, 100u, 127u}) {
    INFO("size " << size);
    tree.calls = 0;
    auto builder = merkle::RootBuilder::FromSource(tree.Source(size), size);
    REQUIRE(builder.ok());
    CHECK(tree.calls == std::popcount(size));
    CHECK(builder->size() == size);
    CHECK(builder->Root() == MustRoot(tree.Source(size), size));
    merkle::RootBuilder fresh;
    for (std::uint64_t i = 0; i < size; ++i) fresh.Add(leaves[i]);
    for (std::uint64_t i = size; i < leaves.size(); ++i) {
      builder->Add(leaves[i]);
      fresh.Add(leaves[i]);
      CHECK(builder->completed() == fresh.completed());
    }
    CHECK(builder->Root() == RefRoot(leaves, 0, leaves.size()));
  }
}
