// Classifies any scanned string as a traceability code form and derives the pack's canonical
// identity (DOMAIN.md §2). Pure and allocation-light: it runs once per scanned code on the ingest
// hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "validator/date.h"

namespace validator {

// Persisted in ledger entries as lower-case names (see CodeKindName); never renumber.
enum class CodeKind : std::uint8_t {
  kMashangfangxin = 0,  // 码上放心 20-digit code starting with 8
  kGs1 = 1,             // GS1 element string with AI 01 (+ 21 serial for a pack identity)
  kIso15459 = 2,        // other ISO/IEC 15459 code (e.g. MA.156...), syntax-checked only
  kProductBarcode = 3,  // 13-digit EAN product barcode: identifies a product, not a pack
  kMalformed = 4,
};

const char* CodeKindName(
    CodeKind kind);  // "mashangfangxin", "gs1", "iso15459", "ean13", "malformed"

struct ParsedCode {
  CodeKind kind = CodeKind::kMalformed;
  // Canonical pack identity; the same for every scanned form of one pack. Empty unless the code
  // identifies a pack. Forms: "M<20 digits>", "G<GTIN-14>/<serial>", "I<verbatim code>".
  std::string identity;
  // Product identifier used for catalogue look-up: the 7-digit prefix, the GTIN-14, or the EAN-13.
  std::string product;
  // GS1 attributes (empty/nullopt otherwise). expiry has day 00 resolved to the month's last day.
  std::string batch;
  std::optional<Date> expiry;
  // AIM symbology identifier the scanner prefixed ("]d2", "]C1", "]Q3"), if any.
  std::string aim;
  // For kMalformed: why, and the 0-based character position in the *trimmed* input.
  std::string reason;
  std::size_t position = 0;
  // Set when the parser accepted something a careful reader should know (e.g. a GS separator
  // missing after a fixed-length AI, whitespace trimmed); empty when the scan was clean.
  std::string note;

  bool is_pack() const { return !identity.empty(); }
};

// Never throws. Leading/trailing whitespace and scanner control characters (space, CR, LF, TAB,
// NUL, STX, ETX, EOT) are trimmed, with a note; anything else unusual makes the code kMalformed
// with a reason and position.
ParsedCode ParseCode(std::string_view scanned);

// GS1 mod-10 check digit over all digits but the last; true when the last digit matches.
bool Gs1CheckDigitValid(std::string_view digits);

}  // namespace validator
