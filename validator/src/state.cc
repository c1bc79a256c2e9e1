#include "validator/state.h"

namespace validator {

const char* PackStatusName(PackStatus status) {
  switch (status) {
    case PackStatus::kUnseen:
      return "unseen";
    case PackStatus::kInStock:
      return "in_stock";
    case PackStatus::kReturnedToSupplier:
      return "returned_to_supplier";
    case PackStatus::kDispensed:
      return "dispensed";
    case PackStatus::kSplitDispensing:
      return "split_dispensing";
    case PackStatus::kUnreadable:
      return "unreadable";
  }
  return "unreadable";
}

namespace {

constexpr std::uint8_t kFlagHolderReceived = 1;
constexpr std::uint8_t kFlagPrevHolderReceived = 2;
constexpr std::uint8_t kFlagSaleInsured = 4;
constexpr std::uint8_t kKnownFlags = 7;

bool KnownStatus(std::uint8_t s) {
  return s <= static_cast<std::uint8_t>(PackStatus::kSplitDispensing);
}

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void PutSigned(std::string& out, std::int64_t v) {
  PutVarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

// Reads from a shrinking view; every Get returns false once the input is short or malformed.
struct Reader {
  std::string_view in;

  bool Byte(std::uint8_t& b) {
    if (in.empty()) return false;
    b = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    return true;
  }
  bool Varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = 0;
      if (!Byte(b)) return false;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool Signed(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!Varint(u)) return false;
    v = static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
    return true;
  }
  bool String(std::string& s) {
    std::uint64_t n = 0;
    if (!Varint(n) || n > in.size()) return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  }
};

}  // namespace

// Layout (version 1): version, status, prev_status, flags (bytes); last_event, last_entry (varint);
// units_sold_milli, last_units_milli (zigzag varint); holder, prev_holder (string);
// sale.institution, sale.psn_hash, sale.bchno (string); sale.time (zigzag varint); sale.entry
// (varint). A string is a varint length and its bytes.
std::string CodeState::Encode() const {
  std::string out;
  out.reserve(32 + holder.size() + prev_holder.size() + sale.institution.size() +
              sale.psn_hash.size() + sale.bchno.size());
  out.push_back(static_cast<char>(kCodeStateVersion));
  out.push_back(static_cast<char>(status));
  out.push_back(static_cast<char>(prev_status));
  std::uint8_t flags = (holder_received ? kFlagHolderReceived : 0) |
                       (prev_holder_received ? kFlagPrevHolderReceived : 0) |
                       (sale.insured ? kFlagSaleInsured : 0);
  out.push_back(static_cast<char>(flags));
  PutVarint(out, static_cast<std::uint64_t>(last_event));
  PutVarint(out, last_entry);
  PutSigned(out, units_sold_milli);
  PutSigned(out, last_units_milli);
  PutString(out, holder);
  PutString(out, prev_holder);
  PutString(out, sale.institution);
  PutString(out, sale.psn_hash);
  PutString(out, sale.bchno);
  PutSigned(out, sale.time);
  PutVarint(out, sale.entry);
  return out;
}

std::optional<CodeState> CodeState::Decode(std::string_view bytes) {
  Reader r{bytes};
  CodeState s;
  std::uint8_t version = 0, status = 0, prev = 0, flags = 0;
  if (!r.Byte(version) || version != kCodeStateVersion) return std::nullopt;
  if (!r.Byte(status) || !r.Byte(prev) || !r.Byte(flags)) return std::nullopt;
  if (!KnownStatus(status) || !KnownStatus(prev) || (flags & ~kKnownFlags) != 0)
    return std::nullopt;
  s.status = static_cast<PackStatus>(status);
  s.prev_status = static_cast<PackStatus>(prev);
  s.holder_received = flags & kFlagHolderReceived;
  s.prev_holder_received = flags & kFlagPrevHolderReceived;
  s.sale.insured = flags & kFlagSaleInsured;
  std::uint64_t event = 0;
  if (!r.Varint(event) || event < 3501 || event > 3507) return std::nullopt;
  s.last_event = static_cast<Interface>(event);
  std::uint64_t sale_entry = 0;
  if (!r.Varint(s.last_entry) || !r.Signed(s.units_sold_milli) || !r.Signed(s.last_units_milli) ||
      !r.String(s.holder) || !r.String(s.prev_holder) || !r.String(s.sale.institution) ||
      !r.String(s.sale.psn_hash) || !r.String(s.sale.bchno) || !r.Signed(s.sale.time) ||
      !r.Varint(sale_entry)) {
    return std::nullopt;
  }
  s.sale.entry = sale_entry;
  if (!r.in.empty()) return std::nullopt;
  return s;
}

}  // namespace validator
