// GS1 element strings: the raw parser (with inference of dropped GS separators) and the
// parenthesised human-readable form. docs/codes.md describes the accepted forms.
#include "gs1.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "gs1_ai.h"

namespace validator::detail {
namespace {

// The AIs a reading contains (by AiIndex); each AI may appear once.
struct Seen {
  std::uint64_t low = 0, high = 0;  // AiIndex 0-63, 64-127
  bool Has(std::size_t i) const { return ((i < 64 ? low : high) >> (i % 64)) & 1; }
  Seen With(std::size_t i) const {
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    return i < 64 ? Seen{low | bit, high} : Seen{low, high | bit};
  }
  // Expiry, batch and serial: what a drug pack's GS1 code carries besides the GTIN.
  bool IsPackSet() const { return Has(kAiExpiry) && Has(kAiBatch) && Has(kAiSerial); }
};

struct Element {
  const AiDef* def;
  std::uint16_t ai_pos, val_pos, val_end;
};

// A scan of <= 100 characters holds at most 34 element strings of >= 3 characters each.
constexpr int kMaxElements = 34;

struct Parse {
  std::array<Element, kMaxElements> el;
  int n = 0;
  int splits = 0;  // values whose end was inferred at a dropped GS
  Seen seen;
};

// Fills `out` from a complete parse: identity, product, batch, expiry and the notes.
// `raw` is false for the parenthesised form, which has no GS separators to miss.
void Finish(std::string_view s, const Parse& p, bool raw, std::string_view extra_note,
            ParsedCode& out) {
  const Element* gtin = nullptr;
  const Element* serial = nullptr;
  const Element* batch = nullptr;
  const Element* expiry = nullptr;
  for (int i = 0; i < p.n; ++i) {
    const Element& e = p.el[i];
    switch (AiIndex(e.def)) {
      case kAiGtin:
        gtin = &e;
        break;
      case kAiSerial:
        serial = &e;
        break;
      case kAiBatch:
        batch = &e;
        break;
      case kAiExpiry:
        expiry = &e;
        break;
      default:
        break;
    }
  }
  if (gtin == nullptr) {
    Fail(out, p.n > 0 ? p.el[0].ai_pos : 0,
         "GS1 element string without AI 01 (GTIN): it identifies no drug pack");
    return;
  }
  // Notes: where the standard wanted a GS and the scan had none.
  for (int i = 0; raw && i + 1 < p.n; ++i) {
    const Element& e = p.el[i];
    if (s[e.val_end] == kGs) continue;
    if (e.def->min != e.def->max) {
      AddNote(out, "GS separator missing after variable-length " + AiName(s, e.ai_pos, e.def) +
                       "; inferred its end at position " + std::to_string(e.val_end));
    } else if (!HasPredefinedLength(s, e.ai_pos)) {
      AddNote(out, "GS separator missing after fixed-length " + AiName(s, e.ai_pos, e.def));
    }
  }
  if (!extra_note.empty()) AddNote(out, extra_note);
  out.kind = CodeKind::kGs1;
  out.product.assign(s.data() + gtin->val_pos, 14);
  if (batch != nullptr) out.batch.assign(s.substr(batch->val_pos, batch->val_end - batch->val_pos));
  if (expiry != nullptr) {
    const char* v = s.data() + expiry->val_pos;
    Date d{2000 + (v[0] - '0') * 10 + (v[1] - '0'), (v[2] - '0') * 10 + (v[3] - '0'),
           (v[4] - '0') * 10 + (v[5] - '0')};
    if (d.day == 0) d.day = DaysInMonth(d.year, d.month);
    out.expiry = d;
  }
  if (serial == nullptr) {
    AddNote(out, "no serial (AI 21): identifies a product, not a pack");
    return;
  }
  const std::string_view sn = s.substr(serial->val_pos, serial->val_end - serial->val_pos);
  out.identity.reserve(2 + 14 + sn.size());
  out.identity.push_back('G');
  out.identity.append(out.product);
  out.identity.push_back('/');
  out.identity.append(sn);
}

// Two complete parses that disagree: report where they part.
void FailAmbiguous(std::string_view s, const Parse& a, const Parse& b, ParsedCode& out) {
  int i = 0;
  while (i + 1 < a.n && i + 1 < b.n && a.el[i].val_end == b.el[i].val_end) ++i;
  const Element& e = a.el[i];
  std::size_t x = a.el[i].val_end, y = b.el[i].val_end;
  if (x > y) std::swap(x, y);
  Fail(out, e.ai_pos,
       "GS separator missing: the value of " + AiName(s, e.ai_pos, e.def) + " at position " +
           std::to_string(e.val_pos) + " could end at position " + std::to_string(x) + " or " +
           std::to_string(y) + "; rescan with a scanner that transmits GS (ASCII 29)");
}

// Enumerates the readings of a raw element string. With a GS anywhere in it, GS separators are
// trusted and there is exactly one reading. Without any GS, a variable-length value may also end
// where AI 10, 17 or 21 begins (a dropped GS); Decide() picks among the complete readings.
class RawParser {
 public:
  RawParser(std::string_view s, std::size_t begin)
      : s_(s), begin_(begin), has_gs_(s.find(kGs, begin) != std::string_view::npos) {}

  void Run(ParsedCode& out) {
    Walk(begin_, Seen{});
    Decide(out);
  }

 private:
  // Records why the literal reading (no inferred splits) failed. Only that reading reports errors.
  void LiteralError(std::size_t pos, std::string reason) {
    if (!have_error_) {
      have_error_ = true;
      error_pos_ = pos;
      error_ = std::move(reason);
    }
  }

  void Walk(std::size_t p, Seen seen) {
    if (--budget_ < 0) return;
    if (p == s_.size()) return Complete(seen);
    const bool literal = cur_.splits == 0;
    auto error = [&](std::size_t pos, auto&& make) {
      if (literal) LiteralError(pos, make());
    };
    if (s_[p] == kGs) {
      return error(p, [] { return std::string("two GS separators in a row (empty element)"); });
    }
    for (std::size_t i = p; i < p + 2; ++i) {
      if (i == s_.size()) return error(i, [&] { return std::string("incomplete GS1 AI"); });
      if (!IsDigit(s_[i])) {
        return error(i, [&] { return "expected a GS1 AI (digits); found " + DescribeChar(s_[i]); });
      }
    }
    const AiDef* def = LookupAi(s_, p);
    if (def == nullptr) {
      return error(p, [&] {
        std::size_t n = 2;
        while (n < 4 && p + n < s_.size() && IsDigit(s_[p + n])) ++n;
        return "unknown GS1 AI (next digits " + std::string(s_.substr(p, n)) + ")";
      });
    }
    const std::size_t d = p + def->ai_len;
    for (std::size_t i = p + def->prefix.size(); i < d; ++i) {
      if (i >= s_.size() || !IsDigit(s_[i])) {
        return error(i, [&] { return "incomplete GS1 AI " + std::string(s_.substr(p, i - p)); });
      }
    }
    const std::size_t index = AiIndex(def);
    if (seen.Has(index)) {
      return error(p, [&] { return AiName(s_, p, def) + " appears twice"; });
    }
    if (cur_.n == kMaxElements) return error(p, [] { return std::string("too many elements"); });
    Element& el = cur_.el[cur_.n];
    el.def = def;
    el.ai_pos = static_cast<std::uint16_t>(p);
    el.val_pos = static_cast<std::uint16_t>(d);
    std::size_t pos = 0;
    std::string reason;
    std::string* why = literal ? &reason : nullptr;

    std::size_t end = 0;  // the value's end when it is determined without inference
    if (def->min == def->max) {
      end = d + def->min;
      if (end > s_.size()) end = s_.size();
    } else if (has_gs_) {
      end = s_.find(kGs, d);
      if (end == std::string_view::npos) end = s_.size();
    }
    if (end != 0) {
      if (!CheckValue(s_, def, p, d, end, &pos, why)) return error(pos, [&] { return reason; });
      el.val_end = static_cast<std::uint16_t>(end);
      ++cur_.n;
      Walk(end < s_.size() && s_[end] == kGs ? end + 1 : end, seen.With(index));
      --cur_.n;
      return;
    }
    // Variable-length value and no GS in the scan: try every end where AI 10, 17 or 21 could begin,
    // then the literal end of the data.
    const std::size_t last = std::min(d + def->max, s_.size());
    for (std::size_t e = d + 1; e <= last; ++e) {
      if (!ValueCharOk(def, e - 1 - d, s_[e - 1])) break;  // no later end can be valid either
      if (e - d < def->min) continue;
      const bool at_end = e == s_.size();
      if (!at_end && !(e + 2 < s_.size() && StartsInferable(e, seen))) continue;
      // Characters are checked; length is within bounds; no variable AI has a check digit or date.
      el.val_end = static_cast<std::uint16_t>(e);
      ++cur_.n;
      if (!at_end) ++cur_.splits;
      Walk(e, seen.With(index));
      if (!at_end) --cur_.splits;
      --cur_.n;
    }
    // The literal reading runs the value to the end of the data. If it cannot, remember where; the
    // message is built only if no other reading succeeds.
    if (literal && !have_error_ && !CheckValue(s_, def, p, d, s_.size(), nullptr, nullptr)) {
      have_error_ = true;
      deferred_def_ = def;
      deferred_ai_pos_ = p;
    }
  }

  // The error of the literal reading, for Decide() when nothing else succeeded.
  void LiteralFailure(ParsedCode& out) {
    if (deferred_def_ == nullptr) return Fail(out, error_pos_, std::move(error_));
    const std::size_t d = deferred_ai_pos_ + deferred_def_->ai_len;
    std::size_t pos = 0;
    std::string reason;
    CheckValue(s_, deferred_def_, deferred_ai_pos_, d, s_.size(), &pos, &reason);
    if (s_.size() - d > deferred_def_->max && pos == d + deferred_def_->max) {
      reason += " and no GS separator ends it";
    }
    Fail(out, pos, std::move(reason));
  }

  // A dropped GS is inferred only before the pack AIs 10, 17 and 21 (each at most once).
  bool StartsInferable(std::size_t e, Seen seen) const {
    const char a = s_[e], b = s_[e + 1];
    if (a == '1' && b == '0') return !seen.Has(kAiBatch);
    if (a == '1' && b == '7') return !seen.Has(kAiExpiry);
    if (a == '2' && b == '1') return !seen.Has(kAiSerial);
    return false;
  }

  void Complete(Seen seen) {
    cur_.seen = seen;
    if (cur_.splits == 0) {
      Copy(cur_, literal_);
      literal_ok_ = true;
      return;
    }
    if (seen.IsPackSet()) {
      if (n_pack_ < 2) Copy(cur_, pack_[n_pack_]);
      ++n_pack_;
    }
    if (n_other_ < 2) Copy(cur_, other_[n_other_]);
    ++n_other_;
  }

  static void Copy(const Parse& from, Parse& to) {
    std::copy(from.el.begin(), from.el.begin() + from.n, to.el.begin());
    to.n = from.n;
    to.splits = from.splits;
    to.seen = from.seen;
  }

  // The literal reading is the standard's; it wins when it has batch, expiry and serial. Otherwise
  // a single reading that has all three (the usual 01/17/10/21 content) is taken; two are
  // ambiguous.
  void Decide(ParsedCode& out) {
    if (budget_ < 0) {
      return Fail(out, begin_, "GS separators missing and too many possible readings");
    }
    if (literal_ok_ && literal_.seen.IsPackSet()) return Finish(s_, literal_, true, {}, out);
    if (n_pack_ == 1) return Finish(s_, pack_[0], true, {}, out);
    if (n_pack_ >= 2) return FailAmbiguous(s_, pack_[0], pack_[1], out);
    if (literal_ok_) {
      if (n_other_ == 0) return Finish(s_, literal_, true, {}, out);
      const Element& split = other_[0].el[literal_.n - 1];
      return Finish(s_, literal_, true,
                    "no GS separator in the scan: read the last value to the end; if the scanner "
                    "dropped a GS, AI " +
                        std::string(s_.substr(split.val_end, 2)) + " may start at position " +
                        std::to_string(split.val_end),
                    out);
    }
    if (n_other_ == 1) return Finish(s_, other_[0], true, {}, out);
    if (n_other_ >= 2) return FailAmbiguous(s_, other_[0], other_[1], out);
    if (have_error_) return LiteralFailure(out);
    Fail(out, begin_, "not a valid GS1 element string");
  }

  std::string_view s_;
  std::size_t begin_;
  bool has_gs_;
  int budget_ = 20000;
  Parse cur_;
  Parse literal_;
  bool literal_ok_ = false;
  Parse pack_[2];
  int n_pack_ = 0;
  Parse other_[2];
  int n_other_ = 0;
  bool have_error_ = false;
  std::size_t error_pos_ = 0;
  std::string error_;
  const AiDef* deferred_def_ = nullptr;  // set when the error is a value running to the end
  std::size_t deferred_ai_pos_ = 0;
};

// "(ddd)" starting at s[p]: returns the position of ')' or npos.
std::size_t AiGroupEnd(std::string_view s, std::size_t p) {
  std::size_t q = p + 1;
  while (q < s.size() && q - p - 1 < 4 && IsDigit(s[q])) ++q;
  const std::size_t digits = q - p - 1;
  return digits >= 2 && q < s.size() && s[q] == ')' ? q : std::string_view::npos;
}

}  // namespace

void ParseGs1Raw(std::string_view s, std::size_t begin, ParsedCode& out) {
  if (begin >= s.size()) return Fail(out, begin, "empty GS1 element string");
  RawParser(s, begin).Run(out);
}

void ParseGs1Parenthesised(std::string_view s, std::size_t begin, ParsedCode& out) {
  Parse parse;
  Seen seen;
  std::size_t p = begin;
  while (p < s.size()) {
    if (s[p] != '(') {
      return Fail(out, p, "expected '(' opening a GS1 AI; found " + DescribeChar(s[p]));
    }
    const std::size_t close = AiGroupEnd(s, p);
    if (close == std::string_view::npos) {
      return Fail(out, p + 1, "expected a GS1 AI of 2 to 4 digits followed by ')'");
    }
    const AiDef* def = LookupAi(s, p + 1);
    if (def == nullptr || def->ai_len != close - p - 1) {
      return Fail(out, p + 1,
                  "unknown GS1 AI (" + std::string(s.substr(p + 1, close - p - 1)) + ")");
    }
    if (seen.Has(AiIndex(def))) return Fail(out, p + 1, AiName(s, p + 1, def) + " appears twice");
    if (parse.n == kMaxElements) return Fail(out, p, "too many elements");
    std::size_t d = close + 1;
    while (d < s.size() && s[d] == ' ') ++d;  // "(01) 0690..." as printed under some symbols
    std::size_t next = d;
    while (next < s.size() && !(s[next] == '(' && AiGroupEnd(s, next) != std::string_view::npos)) {
      ++next;
    }
    std::size_t e = next;
    while (e > d && s[e - 1] == ' ') --e;  // spaces between groups; never part of a value
    std::size_t pos = 0;
    std::string reason;
    if (!CheckValue(s, def, p + 1, d, e, &pos, &reason)) return Fail(out, pos, std::move(reason));
    parse.el[parse.n++] = {def, static_cast<std::uint16_t>(p + 1), static_cast<std::uint16_t>(d),
                           static_cast<std::uint16_t>(e)};
    seen = seen.With(AiIndex(def));
    p = next;
  }
  if (parse.n == 0) return Fail(out, begin, "empty GS1 element string");
  Finish(s, parse, false, {}, out);
}

}  // namespace validator::detail
