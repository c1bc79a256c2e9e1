// validator::ParseCode: every code form, every rejection reason and its position, and the rule that
// every scanned form of one pack has one canonical identity (docs/codes.md).
#include "validator/code.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using validator::CodeKind;
using validator::Date;
using validator::ParseCode;
using validator::ParsedCode;

const std::string GS = "\x1d";

// Shows control characters in failure messages.
std::string Show(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\x1d') {
      out += "<GS>";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<%02x>", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

struct Accepted {
  std::string input;
  CodeKind kind;
  std::string identity;
  std::string product;
};

struct Rejected {
  std::string input;
  std::size_t position;
  std::string reason_part;  // a substring the reason must contain
};

void CheckAccepted(const Accepted& c) {
  INFO("input: " << Show(c.input));
  const ParsedCode p = ParseCode(c.input);
  INFO("reason: " << p.reason << " @" << p.position << "; note: " << p.note);
  CHECK(p.kind == c.kind);
  CHECK(p.identity == c.identity);
  CHECK(p.product == c.product);
  CHECK(p.reason.empty());
  CHECK(p.is_pack() == !c.identity.empty());
}

void CheckRejected(const Rejected& c) {
  INFO("input: " << Show(c.input));
  const ParsedCode p = ParseCode(c.input);
  INFO("reason: " << p.reason << " @" << p.position << "; identity: " << p.identity);
  CHECK(p.kind == CodeKind::kMalformed);
  CHECK(p.position == c.position);
  CHECK(p.reason.find(c.reason_part) != std::string::npos);
  CHECK(p.identity.empty());
  CHECK(p.product.empty());
  CHECK_FALSE(p.is_pack());
}

// One GS1 pack used across the form tests.
const std::string kGtin = "12345678901231";
const std::string kExp = "251200";  // December 2025, day 00
const std::string kLot = "ABC123";
const std::string kSn = "XYZ789QWE";
const std::string kPackId = "G" + kGtin + "/" + kSn;

}  // namespace

TEST_CASE("code kind names are the persisted lower-case names", "[code]") {
  using validator::CodeKindName;
  CHECK(std::string(CodeKindName(CodeKind::kMashangfangxin)) == "mashangfangxin");
  CHECK(std::string(CodeKindName(CodeKind::kGs1)) == "gs1");
  CHECK(std::string(CodeKindName(CodeKind::kIso15459)) == "iso15459");
  CHECK(std::string(CodeKindName(CodeKind::kProductBarcode)) == "ean13");
  CHECK(std::string(CodeKindName(CodeKind::kMalformed)) == "malformed");
}

TEST_CASE("GS1 mod-10 check digit", "[code]") {
  using validator::Gs1CheckDigitValid;
  CHECK(Gs1CheckDigitValid("12345678901231"));  // GTIN-14 from DOMAIN.md
  CHECK_FALSE(Gs1CheckDigitValid("12345678901232"));
  CHECK_FALSE(Gs1CheckDigitValid("12345678901230"));
  CHECK(Gs1CheckDigitValid("06901234567892"));      // GTIN-14 of an EAN-13
  CHECK(Gs1CheckDigitValid("6901234567892"));       // EAN-13
  CHECK(Gs1CheckDigitValid("4006381333931"));       // EAN-13 (Stabilo)
  CHECK(Gs1CheckDigitValid("96385074"));            // EAN-8
  CHECK(Gs1CheckDigitValid("036000291452"));        // UPC-A
  CHECK(Gs1CheckDigitValid("106141411234567897"));  // SSCC
  CHECK(Gs1CheckDigitValid("00"));
  CHECK_FALSE(Gs1CheckDigitValid(""));
  CHECK_FALSE(Gs1CheckDigitValid("7"));
  CHECK_FALSE(Gs1CheckDigitValid("1234567890123A"));
  CHECK_FALSE(Gs1CheckDigitValid("12345678901 31"));
}

TEST_CASE("码上放心 20-digit codes", "[code]") {
  const std::vector<Accepted> ok = {
      {"81234567890123456789", CodeKind::kMashangfangxin, "M81234567890123456789", "8123456"},
      {"80000000000000000000", CodeKind::kMashangfangxin, "M80000000000000000000", "8000000"},
      {"89999999999999999999", CodeKind::kMashangfangxin, "M89999999999999999999", "8999999"},
  };
  for (const auto& c : ok) CheckAccepted(c);
  const ParsedCode p = ParseCode("81234567890123456789");
  CHECK(p.note.empty());
  CHECK(p.aim.empty());
  CHECK(p.batch.empty());
  CHECK_FALSE(p.expiry.has_value());

  const std::vector<Rejected> bad = {
      {"71234567890123456789", 0, "starts with '7'"},
      {"01234567890123456789", 0, "starts with '0'"},
      {"8123456789012345678", 19, "19 digits"},
      {"812345678901234567890", 20, "21 digits"},
      {"81234", 5, "5 digits"},
      {"8123456789012345678O", 19, "'O'"},
      {"8123 4567890123456789", 4, "space"},
      {"8123-4567890123456789", 4, "'-'"},
  };
  for (const auto& c : bad) CheckRejected(c);
}

TEST_CASE("13-digit EAN product barcodes identify a product, not a pack", "[code]") {
  CheckAccepted({"6901234567892", CodeKind::kProductBarcode, "", "6901234567892"});
  CheckAccepted({"4006381333931", CodeKind::kProductBarcode, "", "4006381333931"});
  CheckRejected({"6901234567893", 12, "check digit"});
  CheckRejected({"6901234567890", 12, "check digit"});
  // Other product barcodes are named in the reason but stay malformed.
  CheckRejected({"96385074", 8, "EAN-8"});
  CheckRejected({"036000291452", 12, "UPC-A"});
  CheckRejected({"06901234567892", 14, "GTIN-14"});
}

TEST_CASE("every scanned form of one GS1 pack has the same identity", "[code]") {
  const std::string g = "01" + kGtin, e = "17" + kExp, l = "10" + kLot, s = "21" + kSn;
  const std::vector<std::string> forms = {
      // Raw with GS after the variable-length batch, in several AI orders.
      g + e + l + GS + s,
      g + s + GS + e + l,
      g + e + s + GS + l,
      s + GS + g + e + l,
      g + l + GS + e + s,
      // GS also after fixed-length AIs (allowed), and a trailing GS.
      g + GS + e + GS + l + GS + s,
      g + e + l + GS + s + GS,
      // FNC1 in first position transmitted as a leading GS.
      GS + g + e + l + GS + s,
      // AIM symbology identifiers, with and without the leading FNC1.
      "]d2" + g + e + l + GS + s,
      "]d2" + GS + g + e + l + GS + s,
      "]C1" + g + e + l + GS + s,
      "]Q3" + g + e + l + GS + s,
      "]e0" + g + e + l + GS + s,
      "]J1" + GS + g + e + l + GS + s,
      // Keyboard-wedge scanners that drop the GS: common orders are recovered.
      g + e + l + s,
      g + s + e + l,
      g + e + s + l,
      "]d2" + g + e + l + s,
      // Human-readable form, with and without spaces between groups.
      "(01)" + kGtin + "(17)" + kExp + "(10)" + kLot + "(21)" + kSn,
      "(01) " + kGtin + " (17) " + kExp + " (10) " + kLot + " (21) " + kSn,
      "(21)" + kSn + "(01)" + kGtin + "(10)" + kLot + "(17)" + kExp,
      // Scanner noise around it.
      "  " + g + e + l + GS + s + "\r\n",
      "\t]d2" + g + e + l + GS + s + std::string(1, '\0'),
  };
  for (const auto& f : forms) {
    INFO("input: " << Show(f));
    const ParsedCode p = ParseCode(f);
    INFO("reason: " << p.reason << " @" << p.position << "; note: " << p.note);
    CHECK(p.kind == CodeKind::kGs1);
    CHECK(p.identity == kPackId);
    CHECK(p.product == kGtin);
    CHECK(p.batch == kLot);
    REQUIRE(p.expiry.has_value());
    CHECK(*p.expiry == Date{2025, 12, 31});
  }
}

TEST_CASE("GS1 AIM identifier and notes", "[code]") {
  const std::string raw = "01" + kGtin + "17" + kExp + "10" + kLot + GS + "21" + kSn;
  CHECK(ParseCode("]d2" + raw).aim == "]d2");
  CHECK(ParseCode("]C1" + raw).aim == "]C1");
  CHECK(ParseCode("]Q3" + raw).aim == "]Q3");
  CHECK(ParseCode(raw).aim.empty());
  CHECK(ParseCode(raw).note.empty());  // GS after fixed-length AIs is never required
  CHECK(ParseCode("(01)" + kGtin + "(21)" + kSn).note.empty());

  const ParsedCode dropped = ParseCode("01" + kGtin + "17" + kExp + "10" + kLot + "21" + kSn);
  CHECK(dropped.identity == kPackId);
  CHECK(dropped.note.find("GS separator missing after variable-length AI 10") != std::string::npos);
  CHECK(dropped.note.find("position 32") != std::string::npos);

  // A fixed-length value outside the predefined-length table (AI 7003) needs a GS; its end is
  // still certain, so it is accepted with a note.
  const ParsedCode fixed = ParseCode("01" + kGtin + "70032512311200" + "21" + kSn);
  CHECK(fixed.identity == kPackId);
  CHECK(fixed.note.find("GS separator missing after fixed-length AI 7003") != std::string::npos);

  const ParsedCode trimmed = ParseCode(" 81234567890123456789\r\n");
  CHECK(trimmed.identity == "M81234567890123456789");
  CHECK(trimmed.note.find("trimmed") != std::string::npos);
}

TEST_CASE("GS1 without a serial identifies a product, not a pack", "[code]") {
  const std::vector<std::string> forms = {
      "01" + kGtin + "17" + kExp + "10" + kLot,
      "]d2" + GS + "01" + kGtin + "17" + kExp + "10" + kLot,
      "(01)" + kGtin + "(17)" + kExp + "(10)" + kLot,
      "01" + kGtin,
  };
  for (const auto& f : forms) {
    INFO("input: " << Show(f));
    const ParsedCode p = ParseCode(f);
    CHECK(p.kind == CodeKind::kGs1);
    CHECK(p.identity.empty());
    CHECK_FALSE(p.is_pack());
    CHECK(p.product == kGtin);
    CHECK(p.note.find("no serial") != std::string::npos);
  }
}

TEST_CASE("GS1 expiry: YYMMDD in 20YY, day 00 is the month's last day", "[code]") {
  struct Case {
    std::string yymmdd;
    Date date;
  };
  const std::vector<Case> cases = {
      {"251231", {2025, 12, 31}}, {"251200", {2025, 12, 31}}, {"250200", {2025, 2, 28}},
      {"240200", {2024, 2, 29}},  {"240229", {2024, 2, 29}},  {"261100", {2026, 11, 30}},
      {"000100", {2000, 1, 31}},  {"990101", {2099, 1, 1}},
  };
  for (const auto& c : cases) {
    INFO(c.yymmdd);
    const ParsedCode p = ParseCode("01" + kGtin + "17" + c.yymmdd + "21" + kSn);
    REQUIRE(p.kind == CodeKind::kGs1);
    REQUIRE(p.expiry.has_value());
    CHECK(*p.expiry == c.date);
  }
  const std::vector<Rejected> bad = {
      {"01" + kGtin + "17" + "251301" + "21" + kSn, 18, "AI 17 date 251301"},
      {"01" + kGtin + "17" + "250001" + "21" + kSn, 18, "not a valid YYMMDD"},
      {"01" + kGtin + "17" + "250229" + "21" + kSn, 18, "not a valid YYMMDD"},
      {"01" + kGtin + "17" + "250431" + "21" + kSn, 18, "not a valid YYMMDD"},
      {"01" + kGtin + "17" + "2512" + GS + "21" + kSn, 22, "AI 17 expects a digit"},
      {"01" + kGtin + "17" + "2512", 22, "exactly 6"},
      {"(01)" + kGtin + "(17)25120(21)" + kSn, 27, "exactly 6"},
      {"01" + kGtin + "11" + "251332" + "21" + kSn, 18, "AI 11 date"},
  };
  for (const auto& c : bad) CheckRejected(c);
}

TEST_CASE("GS1 rejections name the reason and the position", "[code]") {
  const std::string g = "01" + kGtin;
  const std::vector<Rejected> bad = {
      // GTIN: check digit, length, characters.
      {"0112345678901232" + std::string("21") + kSn, 15, "AI 01 check digit"},
      {"]d2" + GS + "0112345678901232" + "21" + kSn, 19, "AI 01 check digit"},
      {"(01)12345678901232(21)" + kSn, 17, "AI 01 check digit"},
      {"(01)1234567890123(21)" + kSn, 17, "exactly 14"},
      {"]d2" + std::string("011234567890"), 15, "exactly 14"},
      {"]d2" + std::string("0112345678901A31"), 16, "AI 01 expects a digit"},
      // Variable-length values: character set 82, length, emptiness.
      {g + "10AB C" + GS + "21" + kSn, 20, "space is not allowed in AI 10"},
      {g + "10AB#C" + GS + "21" + kSn, 20, "'#' is not allowed in AI 10"},
      {g + "17" + kExp + "10" + kLot + GS + "21AB~", 37, "'~' is not allowed in AI 21"},
      {g + "10AB\\x1dC21" + kSn, 20, "literal text"},
      {g + "21" + std::string(21, 'A') + GS + "10" + kLot, 38, "longer than 20"},
      {g + "21" + std::string(25, '7'), 38, "no GS separator ends it"},
      {g + GS + GS + "21" + kSn, 17, "two GS separators"},
      {g + "10" + GS + "21" + kSn, 18, "AI 10 has an empty value"},
      {"(01)" + kGtin + "(21)", 22, "AI 21 has an empty value"},
      // AIs: unknown, incomplete, repeated, missing 01.
      {g + "88ABC", 16, "unknown GS1 AI (next digits 88)"},
      {g + "X", 16, "expected a GS1 AI"},
      {g + "1 0ABC", 17, "expected a GS1 AI (digits); found space"},
      {g + "1", 17, "incomplete GS1 AI"},
      {g + "31", 18, "incomplete GS1 AI 31"},
      {g + "21" + kSn + GS + "21OTHER", 28, "AI 21 appears twice"},
      {g + "01" + kGtin, 16, "AI 01 appears twice"},
      {"(01)" + kGtin + "(01)" + kGtin, 19, "AI 01 appears twice"},
      {"]d2" + std::string("17") + kExp + "21" + kSn, 3, "without AI 01"},
      {"(17)" + kExp + "(21)" + kSn, 1, "without AI 01"},
      {"]d2", 3, "nothing after the AIM"},
      {"]d2" + GS, 4, "nothing after the AIM"},
      // Parenthesised form.
      {"(01" + kGtin, 1, "followed by ')'"},
      {"(0)" + kGtin, 1, "followed by ')'"},
      {"(88)ABC(01)" + kGtin, 1, "unknown GS1 AI (88)"},
      {"(011)" + kGtin, 1, "unknown GS1 AI (011)"},
      {"(01)" + kGtin + " x(21)" + kSn, 18, "longer than 14"},
      {"]d2(01)" + kGtin, 3, "expected a GS1 AI"},
  };
  for (const auto& c : bad) CheckRejected(c);
}

TEST_CASE("a dropped GS is inferred only when one reading is plausible", "[code]") {
  const std::string g = "01" + kGtin, e = "17" + kExp;
  SECTION("batch and serial both contain the other AI: ambiguous") {
    // 10 "2025" + "0121" ... the batch could end before either "21".
    const std::string in = g + e + "10" + "20250121" + "21" + "SER1";
    const ParsedCode p = ParseCode(in);
    CHECK(p.kind == CodeKind::kMalformed);
    CHECK(p.position == 24);
    CHECK(p.reason.find("GS separator missing") != std::string::npos);
    CHECK(p.reason.find("position 32 or 34") != std::string::npos);
  }
  SECTION("serial containing '10' before a batch: ambiguous") {
    const ParsedCode p = ParseCode(g + e + "21" + "XY10Z789" + "10" + kLot);
    CHECK(p.kind == CodeKind::kMalformed);
    CHECK(p.position == 24);
  }
  SECTION("only GTIN and serial: the standard reading wins, with a note") {
    const ParsedCode p = ParseCode(g + "21" + "AB10CD");
    CHECK(p.kind == CodeKind::kGs1);
    CHECK(p.identity == "G" + kGtin + "/AB10CD");
    CHECK(p.note.find("AI 10 may start at position 20") != std::string::npos);
  }
  SECTION("serial containing an AI 17 date when there is no expiry: read literally") {
    const ParsedCode p = ParseCode(g + "21" + "AB17250101");
    CHECK(p.identity == "G" + kGtin + "/AB17250101");
    CHECK_FALSE(p.expiry.has_value());
  }
  SECTION("batch, serial, no expiry: the literal reading has no serial and says so") {
    const ParsedCode p = ParseCode(g + "10LOT" + "21SER");
    CHECK(p.kind == CodeKind::kGs1);
    CHECK(p.identity.empty());
    CHECK(p.batch == "LOT21SER");
    CHECK(p.note.find("AI 21 may start at position 21") != std::string::npos);
  }
  SECTION("batch plus serial too long to be one value: the only reading is taken") {
    const ParsedCode p = ParseCode(g + "10LOT123456" + "21SERIAL1234567");
    CHECK(p.identity == "G" + kGtin + "/SERIAL1234567");
    CHECK(p.batch == "LOT123456");
    CHECK(p.note.find("inferred") != std::string::npos);
  }
  SECTION("with any GS present the separators are trusted") {
    const ParsedCode p = ParseCode(g + "10LOT21SER" + GS + e);
    CHECK(p.batch == "LOT21SER");
    CHECK(p.identity.empty());
  }
}

TEST_CASE("digit-only GS1 element strings start with AI 01", "[code]") {
  CheckAccepted(
      {"0112345678901231"
       "21"
       "1234567890",
       CodeKind::kGs1, "G12345678901231/1234567890", kGtin});
  CheckAccepted({"0112345678901231", CodeKind::kGs1, "", kGtin});
  CheckRejected(
      {"0112345678901232"
       "21"
       "1234567890",
       15, "check digit"});
  // 20 digits are always judged as 码上放心, even when they start with 01.
  CheckRejected({"01123456789012312112", 0, "needs its AIM prefix"});
  CheckAccepted(
      {"]d2"
       "01123456789012312112",
       CodeKind::kGs1, "G12345678901231/12", kGtin});
}

TEST_CASE("ISO/IEC 15459 codes: MA codes structure-checked, others syntax only", "[code]") {
  const std::string ma = "MA.156.M0.100003.1000001.S100001";
  CheckAccepted({ma, CodeKind::kIso15459, "I" + ma, "MA.156.M0.100003.1000001"});
  CheckAccepted({ma + ".L2025A01.E20271231", CodeKind::kIso15459, "I" + ma + ".L2025A01.E20271231",
                 "MA.156.M0.100003.1000001"});
  CheckAccepted({"]Q1" + ma, CodeKind::kIso15459, "I" + ma, "MA.156.M0.100003.1000001"});
  CheckAccepted({"UN123456789SER0001", CodeKind::kIso15459, "IUN123456789SER0001", ""});
  const ParsedCode no_serial = ParseCode("MA.156.M0.100003.1000001.L2025A01");
  CHECK(no_serial.kind == CodeKind::kIso15459);
  CHECK_FALSE(no_serial.is_pack());
  CHECK(no_serial.note.find("no serial") != std::string::npos);

  const std::vector<Rejected> bad = {
      {"MA156M0100003", 2, "expected '.'"},
      {"MA.15.M0.100003.1000001.S1", 3, "country code"},
      {"MA.1X6.M0.100003.1000001.S1", 3, "country code"},
      {"MA.156.M0.100003", 16, "ends before its product code"},
      {"MA.156.m0.100003.1000001.S1", 7, "industry code"},
      {"MA.156.M0..1000001.S1", 10, "empty segment"},
      {"MA.156.M0.100003.1000001.S1.", 28, "empty segment"},
      {"MA.156.M0.100003.1000001.100001", 25, "data unit"},
      {"MA.156.M0.100003.1000001.S", 25, "data unit"},
      {"MA.156.M0.100003.1000001.S1#2", 27, "'#' is not allowed"},
      {"MA.156.M0.100003.1000001.S1 2", 27, "space is not allowed"},
      {"MA.156.M0.100003.1000001.S1" + GS, 27, "GS separator"},
      {"NULL", 4, "too short"},
      {"N/A", 3, "too short"},
      {"NOCODEGIVEN", 0, "no digits"},
      {"ma.156.M0.100003.1000001.S1", 0, "'m' cannot start"},
      {"+A123BJC5D6E71", 0, "'+' cannot start"},
  };
  for (const auto& c : bad) CheckRejected(c);
}

TEST_CASE("AIM identifiers of plain symbologies classify their content", "[code]") {
  const ParsedCode c0 = ParseCode("]C081234567890123456789");
  CHECK(c0.kind == CodeKind::kMashangfangxin);
  CHECK(c0.identity == "M81234567890123456789");
  CHECK(c0.aim == "]C0");
  const ParsedCode e0 = ParseCode("]E06901234567892");
  CHECK(e0.kind == CodeKind::kProductBarcode);
  CHECK(e0.aim == "]E0");
  // A GS1 AIM identifier promises GS1 content.
  CheckRejected({"]d281234567890123456789", 3, "unknown GS1 AI (next digits 8123)"});
  CheckRejected({"]X981234567890123456789", 0, "unsupported AIM"});
  CheckRejected({"]d", 0, "unsupported AIM"});
  CheckRejected({"]C0", 3, "nothing after"});
}

TEST_CASE("scanner whitespace is trimmed, other odd characters are reported", "[code]") {
  for (const std::string& in :
       {std::string(" 81234567890123456789"), std::string("81234567890123456789\n"),
        std::string("\r\n81234567890123456789\r\n"), std::string("\t81234567890123456789\t"),
        std::string("81234567890123456789\0\0", 22)}) {
    INFO("input: " << Show(in));
    const ParsedCode p = ParseCode(in);
    CHECK(p.identity == "M81234567890123456789");
    CHECK_FALSE(p.note.empty());
  }
  const std::vector<Rejected> bad = {
      {"", 0, "empty"},
      {" \r\n\t", 0, "empty"},
      {std::string("8123456789\x04") + "123456789", 10, "control character 0x04 at position 10"},
      {std::string("81234567890123456789\x1b"), 20, "control character 0x1b"},
      {std::string("\x7f") + "81234567890123456789", 0, "control character 0x7f"},
      {"8123456789\v123456789", 10, "control character 0x0b"},
      // Trimming happens before positions are counted.
      {"  8123456789\x04"
       "123456789",
       10, "position 10"},
      // Full-width characters from a Chinese input method.
      {"\xef\xbc\x98"
       "1234567890123456789",
       0, "full-width digit '\xef\xbc\x98' (U+FF18)"},
      {"81234\xef\xbc\x95"
       "67890123456789",
       5, "half-width"},
      {"MA.156.\xef\xbc\xad"
       "0.1.1.S1",
       7, "full-width letter"},
      {"8123456789\xe3\x80\x80"
       "123456789",
       10, "full-width space"},
      {"\xe8\xbf\xbd\xe6\xba\xaf\xe7\xa0\x81", 0, "non-ASCII character '\xe8\xbf\xbd' (U+8FFD)"},
      {"81234567890123456789\xff", 20, "not ASCII (nor UTF-8)"},
      {"8123456789\xc3", 10, "not ASCII (nor UTF-8)"},
  };
  for (const auto& c : bad) CheckRejected(c);
}

TEST_CASE("code fields hold at most 100 characters", "[code]") {
  // Exactly 100 characters is fine; the limit applies after trimming.
  const std::string ma100 = "MA.156.M0.100003.1000001.S" + std::string(74, '7');
  REQUIRE(ma100.size() == 100);
  CHECK(ParseCode(ma100).kind == CodeKind::kIso15459);
  CHECK(ParseCode(ma100 + "\r\n").kind == CodeKind::kIso15459);
  CheckRejected({ma100 + "7", 100, "longer than 100 characters"});
  CheckRejected({std::string(5000, '8'), 100, "longer than 100 characters (5000"});
  // A bad character before position 100 is reported first.
  CheckRejected({"MA" + std::string(50, '1') + "\x01" + std::string(60, '1'), 52, "control"});
}

TEST_CASE("bad data never throws and results are consistent", "[code]") {
  std::mt19937 rng(12345);
  const std::vector<std::string> seeds = {
      "81234567890123456789",
      "6901234567892",
      "]d2" + GS + "01" + kGtin + "17" + kExp + "10" + kLot + GS + "21" + kSn,
      "01" + kGtin + "17" + kExp + "10" + kLot + "21" + kSn,
      "(01)" + kGtin + "(17)" + kExp + "(10)" + kLot + "(21)" + kSn,
      "MA.156.M0.100003.1000001.S100001",
  };
  const std::string alphabet = std::string("0123456789()]dC12GS.AMS ") + GS + "\r\n\xef\xbc\x90";
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(at, 1 + rng() % 3);
          break;
        default:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
      }
    }
    if (i % 10 == 0) {  // pure noise, including bytes no scanner sends
      s.clear();
      for (int k = static_cast<int>(rng() % 120); k > 0; --k) s.push_back(static_cast<char>(rng()));
    }
    INFO("input: " << Show(s));
    ParsedCode p;
    REQUIRE_NOTHROW(p = ParseCode(s));
    if (p.kind == CodeKind::kMalformed) {
      REQUIRE_FALSE(p.reason.empty());
      REQUIRE(p.identity.empty());
      REQUIRE(p.position <= 100);
    } else {
      REQUIRE(p.reason.empty());
      if (p.is_pack()) {
        const char form = p.identity[0];
        REQUIRE((form == 'M' || form == 'G' || form == 'I'));
      }
    }
    // Parsing is a pure function of the input.
    const ParsedCode again = ParseCode(s);
    REQUIRE(again.identity == p.identity);
    REQUIRE(again.reason == p.reason);
  }
}
