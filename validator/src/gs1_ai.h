// Private to the code parser: the GS1 application identifiers it knows and the checks on their
// values. Positions are offsets into the trimmed scan `s`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gs1.h"

namespace validator::detail {

enum AiFlag : std::uint8_t {
  kNumeric = 1,     // every character a digit
  kCheckDigit = 2,  // GS1 mod-10 check digit over the whole value
  kDate = 4,        // YYMMDD, DD may be 00
};

// One application identifier. `prefix` is the whole AI unless the AI ends in a parameter digit
// (e.g. 310n, 703s): then prefix is shorter than ai_len and the remaining AI digits may be any
// digit.
struct AiDef {
  std::string_view prefix;
  std::uint8_t ai_len;
  std::uint8_t min;  // value length bounds; min == max means a fixed-length value
  std::uint8_t max;
  std::uint8_t num_prefix;  // leading value characters that must be digits (e.g. AI 253: 13)
  std::uint8_t flags;
};

// Table indexes of the AIs that make a pack (AiIndex() of their AiDef).
inline constexpr std::size_t kAiGtin = 0, kAiExpiry = 1, kAiBatch = 2, kAiSerial = 3;
// Every AiIndex() is below this.
inline constexpr std::size_t kAiIndexLimit = 128;

// The AI starting at s[p] (s[p] and s[p + 1] must exist), or null if unknown. Does not check that
// an AI's parameter digits (310n) are present; the caller does.
const AiDef* LookupAi(std::string_view s, std::size_t p);
std::size_t AiIndex(const AiDef* def);

// GS1 predefined-length table: element strings whose AI starts with these two digits never need a
// GS after them (00-04, 11-20, 31-36, 41).
bool HasPredefinedLength(std::string_view s, std::size_t ai_pos);

// Is c allowed at offset i (0-based) of a value of AI def?
inline bool ValueCharOk(const AiDef* def, std::size_t i, char c) {
  if ((def->flags & kNumeric) || i < def->num_prefix) return IsDigit(c);
  return IsCset82(c);
}

// "AI 17", for messages.
std::string AiName(std::string_view s, std::size_t ai_pos, const AiDef* def);

// Checks characters, length, check digit and date of the value s[d, e) of AI def at ai_pos.
// Returns true when valid; otherwise, if reason is non-null, sets *pos and *reason.
bool CheckValue(std::string_view s, const AiDef* def, std::size_t ai_pos, std::size_t d,
                std::size_t e, std::size_t* pos, std::string* reason);

}  // namespace validator::detail
