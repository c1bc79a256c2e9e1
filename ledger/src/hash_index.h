// An in-memory multimap from 64-bit keys to 64-bit values (open addressing, linear probing): the
// heads of ingest's append-only tables. 16 bytes a slot; equal keys may repeat (hash collisions of
// different identities), so look-ups visit every match and the caller checks the stored row.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace ledger {

class HashIndex {
 public:
  struct Entry {
    std::uint64_t key;
    std::uint64_t value;
  };

  HashIndex() { Resize(1024); }

  // Grows the table once so that `n` values fit without further resizing.
  void Reserve(std::size_t n) {
    std::size_t want = slots_.size();
    while (n * 4 > want * 3) want *= 2;
    if (want != slots_.size()) Resize(want);
  }

  // The slots as stored (the heads file, heads_file.h), and a table rebuilt from them: false when
  // `slots` cannot be one (size not a power of two, too full).
  const std::vector<Entry>& slots() const { return slots_; }
  bool Adopt(std::vector<Entry> slots) {
    const std::size_t n = slots.size();
    if (n < 2 || (n & (n - 1)) != 0) return false;
    std::size_t used = 0;
    for (const Entry& e : slots) used += e.key != kEmpty ? 1 : 0;
    if (used * 4 > n * 3) return false;
    slots_ = std::move(slots);
    mask_ = n - 1;
    used_ = used;
    return true;
  }

  // Visits the values stored under `key` until `fn` returns true (found).
  template <typename Fn>
  bool Find(std::uint64_t key, Fn&& fn) const {
    const std::uint64_t k = Normalize(key);
    for (std::size_t i = Slot(k);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.key == kEmpty) return false;
      if (e.key == k && fn(e.value)) return true;
    }
  }

  void Insert(std::uint64_t key, std::uint64_t value) {
    if ((used_ + 1) * 4 > slots_.size() * 3) Resize(slots_.size() * 2);
    const std::uint64_t k = Normalize(key);
    std::size_t i = Slot(k);
    while (slots_[i].key != kEmpty) i = (i + 1) & mask_;
    slots_[i] = {k, value};
    ++used_;
  }

  // Replaces the value `old_value` stored under `key` by `new_value`; inserts if not found.
  void Replace(std::uint64_t key, std::uint64_t old_value, std::uint64_t new_value) {
    const std::uint64_t k = Normalize(key);
    for (std::size_t i = Slot(k);; i = (i + 1) & mask_) {
      Entry& e = slots_[i];
      if (e.key == kEmpty) break;
      if (e.key == k && e.value == old_value) {
        e.value = new_value;
        return;
      }
    }
    Insert(key, new_value);
  }

  std::size_t size() const { return used_; }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(Entry); }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  // Key 0 marks an empty slot; map it elsewhere.
  static std::uint64_t Normalize(std::uint64_t k) {
    return k == kEmpty ? 0x9e3779b97f4a7c15ull : k;
  }
  std::size_t Slot(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9e3779b97f4a7c15ull) >> 17) & mask_;
  }
  void Resize(std::size_t n) {
    std::vector<Entry> old;
    old.swap(slots_);
    slots_.assign(n, Entry{kEmpty, 0});
    mask_ = n - 1;
    used_ = 0;
    for (const Entry& e : old) {
      if (e.key != kEmpty) Insert(e.key, e.value);
    }
  }

  std::vector<Entry> slots_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

// FNV-1a 64 over the parts joined by 0x1f: the persisted key of ingest's index rows. Its definition
// is part of the storage format (docs/ledger-format.md): never change it.
inline std::uint64_t IndexKey(std::string_view a, std::string_view b = {}) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  };
  mix(a);
  if (!b.empty()) {
    h ^= 0x1f;
    h *= 0x100000001b3ull;
    mix(b);
  }
  return h;
}

}  // namespace ledger
