// Classifies a scanned code (DOMAIN.md §2, docs/codes.md): trims scanner noise, rejects characters
// no code form allows, then dispatches on the first character to the 码上放心 / EAN-13 digit forms,
// GS1 (gs1.cc) or ISO/IEC 15459.
#include "validator/code.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "gs1.h"

namespace validator {

using detail::AddNote;
using detail::DescribeChar;
using detail::Fail;
using detail::IsCset82;
using detail::IsDigit;
using detail::IsTrimmable;
using detail::kGs;

namespace detail {

std::string DescribeChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == ' ') return "space";
  if (c == kGs) return "GS separator (ASCII 29)";
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  return buf;
}

void Fail(ParsedCode& out, std::size_t position, std::string reason) {
  out.kind = CodeKind::kMalformed;
  out.identity.clear();
  out.product.clear();
  out.batch.clear();
  out.expiry.reset();
  out.reason = std::move(reason);
  out.position = position;
}

void AddNote(ParsedCode& out, std::string_view note) {
  if (!out.note.empty()) out.note += "; ";
  out.note += note;
}

}  // namespace detail

namespace {

constexpr std::size_t kMaxLength = 100;

constexpr bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}

// True when the 8 bytes of w are all ASCII digits (SWAR: no byte below '0' or above '9').
constexpr bool AllDigits8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  return (((w - kOnes * '0') | (w + kOnes * (0x7f - '9'))) & (kOnes * 0x80)) == 0;
}

// True when the 8 bytes of w are all in 0x20..0x7e (no control character, DEL or non-ASCII byte).
constexpr bool AllPrintable8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  return (((w - kOnes * 0x20) | (w + kOnes * (0x7f - 0x7e)) | w) & (kOnes * 0x80)) == 0;
}

// The hot path: exactly 20 ASCII digits (a 码上放心 code as most terminals send it).
bool IsTwentyDigits(std::string_view s) {
  if (s.size() != 20) return false;
  std::uint64_t a, b, c;  // bytes 0-7, 8-15 and 12-19 (overlapping)
  std::memcpy(&a, s.data(), 8);
  std::memcpy(&b, s.data() + 8, 8);
  std::memcpy(&c, s.data() + 12, 8);
  return AllDigits8(a) && AllDigits8(b) && AllDigits8(c);
}

// The UTF-8 sequence at s[i] (i is a non-ASCII byte) as a code point, or -1 if it is not UTF-8.
long DecodeUtf8(std::string_view s, std::size_t i, std::size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const int n = b0 >= 0xf0 && b0 < 0xf5 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 && b0 < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return -1;
  long cp = b0 & (0x7f >> n);
  for (int k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  *len = static_cast<std::size_t>(n);
  return cp;
}

std::string NonAsciiReason(std::string_view s, std::size_t i) {
  std::size_t len = 0;
  const long cp = DecodeUtf8(s, i, &len);
  char buf[96];
  if (cp < 0) {
    std::snprintf(buf, sizeof buf, "byte 0x%02x at position %zu is not ASCII (nor UTF-8)",
                  static_cast<unsigned char>(s[i]), i);
    return buf;
  }
  const std::string glyph(s.substr(i, len));
  std::snprintf(buf, sizeof buf, " (U+%04lX) at position %zu", cp, i);
  if (cp >= 0xff10 && cp <= 0xff19) {
    return "full-width digit '" + glyph + "'" + buf +
           ": codes use ASCII digits; switch the input method to half-width (半角)";
  }
  if ((cp >= 0xff21 && cp <= 0xff3a) || (cp >= 0xff41 && cp <= 0xff5a)) {
    return "full-width letter '" + glyph + "'" + buf +
           ": codes use ASCII letters; switch the input method to half-width (半角)";
  }
  if (cp == 0x3000) return std::string("full-width space") + buf;
  return "non-ASCII character '" + glyph + "'" + buf + ": codes are ASCII only";
}

// Rejects what no code form allows: C0 controls other than GS, DEL, non-ASCII, more than 100
// characters. Everything before the first such character is ASCII, so its byte offset is also its
// character position.
bool CheckCharacters(std::string_view s, ParsedCode& out) {
  const std::size_t n = std::min(s.size(), kMaxLength);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {  // skip 8 printable ASCII characters at a time
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (!AllPrintable8(w)) break;
  }
  for (; i < n; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u < 0x7f) continue;
    if (u == static_cast<unsigned char>(kGs)) continue;
    if (u >= 0x80) {
      Fail(out, i, NonAsciiReason(s, i));
    } else {
      char buf[80];
      std::snprintf(buf, sizeof buf, "control character 0x%02x at position %zu", u, i);
      Fail(out, i, buf);
    }
    return false;
  }
  if (s.size() > kMaxLength) {
    Fail(out, kMaxLength,
         "longer than 100 characters (" + std::to_string(s.size()) + " after trimming)");
    return false;
  }
  return true;
}

// Digits-only s[b..): 码上放心 (20), EAN-13 (13), a GS1 element string of digits ("01..."), or
// wrong.
void ParseDigits(std::string_view s, std::size_t b, ParsedCode& out) {
  const std::size_t n = s.size() - b;
  const std::string_view d = s.substr(b);
  if (n == 20) {
    if (d[0] != '8') {
      std::string reason = std::string("20-digit code starts with '") + d[0] +
                           "': 码上放心 traceability codes start with 8";
      if (d[0] == '0' && d[1] == '1') {
        reason += " (a GS1 string of AI 01 and a 2-character AI 21 needs its AIM prefix)";
      }
      return Fail(out, b, std::move(reason));
    }
    out.kind = CodeKind::kMashangfangxin;
    out.identity.reserve(21);
    out.identity.push_back('M');
    out.identity.append(d);
    out.product.assign(d.substr(0, 7));
    return;
  }
  if (n == 13) {
    if (!Gs1CheckDigitValid(d)) {
      return Fail(
          out, b + 12,
          std::string("13-digit EAN product barcode with a wrong check digit '") + d[12] + "'");
    }
    out.kind = CodeKind::kProductBarcode;
    out.product.assign(d);
    return;
  }
  if (n >= 16 && d[0] == '0' && d[1] == '1') return detail::ParseGs1Raw(s, b, out);
  std::string reason = std::to_string(n) + " digits: a 码上放心 traceability code has 20 digits";
  if ((n == 8 || n == 12 || n == 14) && Gs1CheckDigitValid(d)) {
    reason += n == 8    ? "; this looks like an EAN-8 product barcode"
              : n == 12 ? "; this looks like a UPC-A product barcode"
                        : "; this looks like a bare GTIN-14 (no serial)";
  }
  Fail(out, b + std::min<std::size_t>(n, 20), std::move(reason));
}

// MA code (IDcode, issuing agency MA): MA.<country 3 digits>.<industry>.<enterprise>.<product>
// then data units .<letter><value>; .S<serial> makes it a pack. s[b..) is all ISO 646 invariant.
void ParseMa(std::string_view s, std::size_t b, ParsedCode& out) {
  static constexpr const char* kHeader[] = {"", "country code", "industry code", "enterprise code",
                                            "product code"};
  std::size_t seg_start = b + 3, product_end = 0;
  bool serial = false;
  if (s.size() < b + 3 || s[b + 2] != '.') {
    return Fail(out, b + 2, "MA code: expected '.' after the issuing agency code MA");
  }
  for (int k = 1;; ++k) {
    std::size_t e = s.find('.', seg_start);
    if (e == std::string_view::npos) e = s.size();
    const std::string_view seg = s.substr(seg_start, e - seg_start);
    if (seg.empty()) return Fail(out, seg_start, "MA code: empty segment");
    if (k == 1 && (seg.size() != 3 || !IsDigit(seg[0]) || !IsDigit(seg[1]) || !IsDigit(seg[2]))) {
      return Fail(out, seg_start, "MA code: country code must be 3 digits (156 = China)");
    }
    if (k >= 2 && k <= 4) {
      for (std::size_t i = 0; i < seg.size(); ++i) {
        if (!IsDigit(seg[i]) && !IsUpper(seg[i])) {
          return Fail(out, seg_start + i,
                      std::string("MA code: ") + kHeader[k] +
                          " allows only digits and upper-case letters; found " +
                          DescribeChar(seg[i]));
        }
      }
    }
    if (k == 4) product_end = e;
    if (k >= 5) {
      if (!IsUpper(seg[0]) || seg.size() < 2) {
        return Fail(out, seg_start,
                    "MA code: a data unit is an upper-case identifier letter and a value (e.g. "
                    ".S<serial>)");
      }
      if (seg[0] == 'S') serial = true;
    }
    if (e == s.size()) {
      if (k < 4) {
        return Fail(out, e,
                    std::string("MA code ends before its ") + kHeader[k + 1] +
                        " (MA.<country>.<industry>.<enterprise>.<product>...)");
      }
      break;
    }
    seg_start = e + 1;
  }
  out.kind = CodeKind::kIso15459;
  out.product.assign(s.substr(b, product_end - b));
  if (!serial) {
    AddNote(out, "no serial data unit (.S): identifies a product, not a pack");
    return;
  }
  out.identity.reserve(1 + s.size() - b);
  out.identity.push_back('I');
  out.identity.append(s.substr(b));
}

// Other ISO/IEC 15459 codes, syntax only: ISO 646 invariant characters, an upper-case issuing
// agency code first, at least 8 characters and a digit somewhere. Stored verbatim.
void ParseIso15459(std::string_view s, std::size_t b, ParsedCode& out) {
  bool digit = false;
  for (std::size_t i = b; i < s.size(); ++i) {
    if (!IsCset82(s[i])) {
      return Fail(out, i,
                  DescribeChar(s[i]) +
                      " is not allowed in an ISO/IEC 15459 code (ISO 646 invariant characters)");
    }
    digit = digit || IsDigit(s[i]);
  }
  if (s.substr(b, 2) == "MA") return ParseMa(s, b, out);
  if (s.size() - b < 8) {
    return Fail(
        out, s.size(),
        "too short for a traceability code (" + std::to_string(s.size() - b) + " characters)");
  }
  if (!digit) return Fail(out, b, "no digits: not a plausible ISO/IEC 15459 code");
  out.kind = CodeKind::kIso15459;
  out.identity.reserve(1 + s.size() - b);
  out.identity.push_back('I');
  out.identity.append(s.substr(b));
}

// Everything that is not an AIM identifier: dispatch on the first character.
void Classify(std::string_view s, std::size_t b, ParsedCode& out) {
  const char c = s[b];
  if (c == kGs) return detail::ParseGs1Raw(s, b + 1, out);  // FNC1 in first position
  if (c == '(') return detail::ParseGs1Parenthesised(s, b, out);
  if (IsDigit(c)) {
    std::size_t i = b;
    bool has_gs = false;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == s.size()) return ParseDigits(s, b, out);
    for (std::size_t k = i; k < s.size() && !has_gs; ++k) has_gs = s[k] == kGs;
    if (has_gs || s.substr(b, 2) == "01") return detail::ParseGs1Raw(s, b, out);
    return Fail(out, i,
                DescribeChar(s[i]) +
                    " in a numeric code (not a GS1 element string: those start with AI 01)");
  }
  if (IsUpper(c)) return ParseIso15459(s, b, out);
  Fail(out, b, DescribeChar(c) + " cannot start a traceability code");
}

struct AimId {
  std::string_view id;
  bool gs1;
};
// ISO/IEC 15424 symbology identifiers a drug-pack scan may carry. GS1 ones: GS1-128, GS1
// DataMatrix, GS1 QR, GS1 DataBar, GS1 DotCode. The others carry plain data.
constexpr AimId kAimIds[] = {{"]d2", true},  {"]C1", true},  {"]Q3", true},
                             {"]e0", true},  {"]J1", true},  {"]C0", false},
                             {"]d1", false}, {"]Q1", false}, {"]E0", false}};

}  // namespace

const char* CodeKindName(CodeKind kind) {
  switch (kind) {
    case CodeKind::kMashangfangxin:
      return "mashangfangxin";
    case CodeKind::kGs1:
      return "gs1";
    case CodeKind::kIso15459:
      return "iso15459";
    case CodeKind::kProductBarcode:
      return "ean13";
    case CodeKind::kMalformed:
      return "malformed";
  }
  return "malformed";
}

bool Gs1CheckDigitValid(std::string_view digits) {
  if (digits.size() < 2) return false;
  int sum = 0;
  int weight = 3;
  for (std::size_t i = digits.size() - 1; i-- > 0;) {
    if (!IsDigit(digits[i])) return false;
    sum += (digits[i] - '0') * weight;
    weight = 4 - weight;
  }
  const char last = digits.back();
  return IsDigit(last) && (10 - sum % 10) % 10 == last - '0';
}

ParsedCode ParseCode(std::string_view scanned) {
  ParsedCode out;
  if (IsTwentyDigits(scanned)) {
    ParseDigits(scanned, 0, out);
    return out;
  }
  std::size_t b = 0, e = scanned.size();
  while (b < e && IsTrimmable(scanned[b])) ++b;
  while (e > b && IsTrimmable(scanned[e - 1])) --e;
  if (b != 0 || e != scanned.size())
    out.note = "trimmed leading/trailing whitespace or scanner control characters";
  const std::string_view s = scanned.substr(b, e - b);
  if (s.empty()) {
    Fail(out, 0, "empty code");
    return out;
  }
  if (!CheckCharacters(s, out)) return out;
  if (s[0] != ']') {
    Classify(s, 0, out);
    return out;
  }
  for (const AimId& aim : kAimIds) {
    if (s.substr(0, 3) != aim.id) continue;
    out.aim.assign(aim.id);
    if (s.size() == 3 || (aim.gs1 && s.size() == 4 && s[3] == kGs)) {
      Fail(out, s.size(), "nothing after the AIM symbology identifier " + out.aim);
    } else if (aim.gs1) {
      detail::ParseGs1Raw(s, s[3] == kGs ? 4 : 3, out);
    } else {
      Classify(s, 3, out);
    }
    return out;
  }
  Fail(out, 0, "unsupported AIM symbology identifier '" + std::string(s.substr(0, 3)) + "'");
  return out;
}

}  // namespace validator
