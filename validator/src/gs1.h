// Private to the code parser: GS1 element strings (raw and human-readable) and the helpers that
// code.cc and gs1.cc share. Positions are always offsets into the trimmed scan `s`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "validator/code.h"

namespace validator::detail {

constexpr char kGs = '\x1d';  // ASCII 29, the GS1 group separator (FNC1 as transmitted)

// Scanner noise trimmed from both ends of a scan: whitespace (space, TAB, CR, LF), NUL padding and
// the STX/ETX/EOT framing some serial scanners add. Anywhere else they make the code malformed.
constexpr bool IsTrimmable(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '\x02' ||
         c == '\x03' || c == '\x04';
}

constexpr bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// GS1 AI encodable character set 82; it equals the printable ISO 646 invariant set minus space:
// ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z.
inline bool IsCset82(char c) {
  // One bit per ASCII character, 64 characters per word.
  constexpr unsigned long long kLow = 0xFFFFFFFFULL << 32 & ~(1ULL << 32 | 1ULL << 35 | 1ULL << 36);
  constexpr unsigned long long kHigh = 0x07FFFFFE87FFFFFEULL;
  const auto u = static_cast<unsigned char>(c);
  return u < 64 ? (kLow >> u) & 1 : u < 128 && ((kHigh >> (u - 64)) & 1);
}

// "'x'", "space", "GS separator (ASCII 29)" or "byte 0x1b": for messages about one character.
std::string DescribeChar(char c);

// Marks `out` malformed; clears whatever a parser may have filled in (aim and note are kept).
void Fail(ParsedCode& out, std::size_t position, std::string reason);

// Appends to out.note, "; "-separated.
void AddNote(ParsedCode& out, std::string_view note);

// Raw element string s[begin..): AIs with GS separators where the standard wants them, or with
// the GS dropped by a keyboard-wedge scanner (then the split is inferred when it is unambiguous).
void ParseGs1Raw(std::string_view s, std::size_t begin, ParsedCode& out);

// Human-readable form s[begin..) = "(01)...(17)...(10)...(21)...", spaces allowed between groups.
void ParseGs1Parenthesised(std::string_view s, std::size_t begin, ParsedCode& out);

}  // namespace validator::detail
