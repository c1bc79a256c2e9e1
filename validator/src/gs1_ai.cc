// The GS1 application identifiers a drug-pack scan may carry, and the checks on their values.
#include "gs1_ai.h"

namespace validator::detail {
namespace {

// GS1 General Specifications, section 3. Prefix-free, so the first match is the AI; the most
// frequent AIs come first. Values: min/max length, leading digits required, flags.
constexpr AiDef kAis[] = {
    {"01", 2, 14, 14, 0, kNumeric | kCheckDigit},
    {"17", 2, 6, 6, 0, kNumeric | kDate},
    {"10", 2, 1, 20, 0, 0},
    {"21", 2, 1, 20, 0, 0},
    {"11", 2, 6, 6, 0, kNumeric | kDate},
    {"00", 2, 18, 18, 0, kNumeric | kCheckDigit},
    {"02", 2, 14, 14, 0, kNumeric | kCheckDigit},
    {"12", 2, 6, 6, 0, kNumeric | kDate},
    {"13", 2, 6, 6, 0, kNumeric | kDate},
    {"15", 2, 6, 6, 0, kNumeric | kDate},
    {"16", 2, 6, 6, 0, kNumeric | kDate},
    {"20", 2, 2, 2, 0, kNumeric},
    {"22", 2, 1, 20, 0, 0},
    {"235", 3, 1, 28, 0, 0},
    {"240", 3, 1, 30, 0, 0},
    {"241", 3, 1, 30, 0, 0},
    {"242", 3, 1, 6, 0, kNumeric},
    {"243", 3, 1, 20, 0, 0},
    {"250", 3, 1, 30, 0, 0},
    {"251", 3, 1, 30, 0, 0},
    {"253", 3, 13, 30, 13, 0},
    {"254", 3, 1, 20, 0, 0},
    {"255", 3, 13, 25, 0, kNumeric},
    {"30", 2, 1, 8, 0, kNumeric},
    {"31", 4, 6, 6, 0, kNumeric},
    {"32", 4, 6, 6, 0, kNumeric},
    {"33", 4, 6, 6, 0, kNumeric},
    {"34", 4, 6, 6, 0, kNumeric},
    {"35", 4, 6, 6, 0, kNumeric},
    {"36", 4, 6, 6, 0, kNumeric},
    {"37", 2, 1, 8, 0, kNumeric},
    {"390", 4, 1, 15, 0, kNumeric},
    {"391", 4, 4, 18, 0, kNumeric},
    {"392", 4, 1, 15, 0, kNumeric},
    {"393", 4, 4, 18, 0, kNumeric},
    {"394", 4, 4, 4, 0, kNumeric},
    {"395", 4, 6, 6, 0, kNumeric},
    {"400", 3, 1, 30, 0, 0},
    {"401", 3, 1, 30, 0, 0},
    {"402", 3, 17, 17, 0, kNumeric | kCheckDigit},
    {"403", 3, 1, 30, 0, 0},
    {"41", 3, 13, 13, 0, kNumeric | kCheckDigit},  // 410..417 GLNs
    {"420", 3, 1, 20, 0, 0},
    {"421", 3, 4, 12, 3, 0},
    {"422", 3, 3, 3, 0, kNumeric},
    {"423", 3, 3, 15, 0, kNumeric},
    {"424", 3, 3, 3, 0, kNumeric},
    {"425", 3, 3, 15, 0, kNumeric},
    {"426", 3, 3, 3, 0, kNumeric},
    {"427", 3, 1, 3, 0, 0},
    {"7001", 4, 13, 13, 0, kNumeric},
    {"7002", 4, 1, 30, 0, 0},
    {"7003", 4, 10, 10, 0, kNumeric},
    {"7004", 4, 1, 4, 0, kNumeric},
    {"7005", 4, 1, 12, 0, 0},
    {"7006", 4, 6, 6, 0, kNumeric | kDate},
    {"7007", 4, 6, 12, 0, kNumeric},
    {"7008", 4, 1, 3, 0, 0},
    {"7009", 4, 1, 10, 0, 0},
    {"7010", 4, 1, 2, 0, 0},
    {"7020", 4, 1, 20, 0, 0},
    {"7021", 4, 1, 20, 0, 0},
    {"7022", 4, 1, 20, 0, 0},
    {"7023", 4, 1, 30, 0, 0},
    {"703", 4, 4, 30, 3, 0},
    {"7040", 4, 4, 4, 1, 0},
    {"710", 3, 1, 20, 0, 0},  // 710..716: national healthcare reimbursement numbers
    {"711", 3, 1, 20, 0, 0},
    {"712", 3, 1, 20, 0, 0},
    {"713", 3, 1, 20, 0, 0},
    {"714", 3, 1, 20, 0, 0},
    {"715", 3, 1, 20, 0, 0},
    {"716", 3, 1, 20, 0, 0},
    {"723", 4, 3, 30, 0, 0},
    {"7240", 4, 1, 20, 0, 0},
    {"8001", 4, 14, 14, 0, kNumeric},
    {"8002", 4, 1, 20, 0, 0},
    {"8003", 4, 15, 30, 14, 0},
    {"8004", 4, 1, 30, 0, 0},
    {"8005", 4, 6, 6, 0, kNumeric},
    {"8006", 4, 18, 18, 0, kNumeric},
    {"8007", 4, 1, 34, 0, 0},
    {"8008", 4, 8, 12, 0, kNumeric},
    {"8009", 4, 1, 50, 0, 0},
    {"8010", 4, 1, 30, 0, 0},
    {"8011", 4, 1, 12, 0, kNumeric},
    {"8012", 4, 1, 20, 0, 0},
    {"8013", 4, 1, 25, 0, 0},
    {"8017", 4, 18, 18, 0, kNumeric | kCheckDigit},
    {"8018", 4, 18, 18, 0, kNumeric | kCheckDigit},
    {"8019", 4, 1, 10, 0, kNumeric},
    {"8020", 4, 1, 25, 0, 0},
    {"8026", 4, 18, 18, 0, kNumeric},
    {"8110", 4, 1, 70, 0, 0},
    {"8111", 4, 4, 4, 0, kNumeric},
    {"8112", 4, 1, 70, 0, 0},
    {"8200", 4, 1, 70, 0, 0},
    {"90", 2, 1, 30, 0, 0},
    {"91", 2, 1, 90, 0, 0},
    {"92", 2, 1, 90, 0, 0},
    {"93", 2, 1, 90, 0, 0},
    {"94", 2, 1, 90, 0, 0},
    {"95", 2, 1, 90, 0, 0},
    {"96", 2, 1, 90, 0, 0},
    {"97", 2, 1, 90, 0, 0},
    {"98", 2, 1, 90, 0, 0},
    {"99", 2, 1, 90, 0, 0},
};
constexpr std::size_t kAiCount = sizeof kAis / sizeof kAis[0];
static_assert(kAiCount <= kAiIndexLimit);
static_assert(kAis[kAiGtin].prefix == "01" && kAis[kAiExpiry].prefix == "17" &&
              kAis[kAiBatch].prefix == "10" && kAis[kAiSerial].prefix == "21");

bool ValidDateValue(std::string_view v) {
  const int mm = (v[2] - '0') * 10 + (v[3] - '0');
  const int dd = (v[4] - '0') * 10 + (v[5] - '0');
  if (mm < 1 || mm > 12) return false;
  // GS1 dates carry no century here; 2000+YY (docs/codes.md). Day 00 means "end of month".
  return dd <= DaysInMonth(2000 + (v[0] - '0') * 10 + (v[1] - '0'), mm);
}

std::string BadValueChar(std::string_view s, std::size_t ai_pos, const AiDef* def, std::size_t i,
                         std::size_t pos) {
  const char c = s[pos];
  std::string name = AiName(s, ai_pos, def);
  if ((def->flags & kNumeric) || i < def->num_prefix) {
    return name + " expects a digit here; found " + DescribeChar(c);
  }
  if (c == '\\' && (s.substr(pos + 1, 3) == "x1d" || s.substr(pos + 1, 3) == "x1D")) {
    return "literal text \"\\x1d\" in " + name +
           ": the GS separator must be sent as the byte ASCII 29, not as escaped text";
  }
  return DescribeChar(c) + " is not allowed in " + name + " (GS1 AI encodable character set 82)";
}

}  // namespace

bool HasPredefinedLength(std::string_view s, std::size_t ai_pos) {
  const int k = (s[ai_pos] - '0') * 10 + (s[ai_pos + 1] - '0');
  return k <= 4 || (k >= 11 && k <= 20) || (k >= 31 && k <= 36) || k == 41;
}

const AiDef* LookupAi(std::string_view s, std::size_t p) {
  const char a = s[p], b = s[p + 1];
  for (const AiDef& def : kAis) {
    if (def.prefix[0] != a || def.prefix[1] != b) continue;
    const std::size_t n = def.prefix.size();
    if (p + n <= s.size() && s.compare(p + 2, n - 2, def.prefix.substr(2)) == 0) return &def;
  }
  return nullptr;
}

std::size_t AiIndex(const AiDef* def) {
  return static_cast<std::size_t>(def - kAis);
}

std::string AiName(std::string_view s, std::size_t ai_pos, const AiDef* def) {
  return "AI " + std::string(s.substr(ai_pos, def->ai_len));
}

bool CheckValue(std::string_view s, const AiDef* def, std::size_t ai_pos, std::size_t d,
                std::size_t e, std::size_t* pos, std::string* reason) {
  auto fail = [&](std::size_t p, auto&& make) {
    if (reason != nullptr) {
      *pos = p;
      *reason = make();
    }
    return false;
  };
  const std::size_t len = e - d;
  if (len == 0) return fail(d, [&] { return AiName(s, ai_pos, def) + " has an empty value"; });
  for (std::size_t i = 0; i < len && i < def->max; ++i) {
    if (!ValueCharOk(def, i, s[d + i])) {
      return fail(d + i, [&] { return BadValueChar(s, ai_pos, def, i, d + i); });
    }
  }
  if (len > def->max) {
    return fail(d + def->max, [&] {
      return AiName(s, ai_pos, def) + " value is longer than " + std::to_string(def->max) +
             " characters";
    });
  }
  if (len < def->min) {
    return fail(e, [&] {
      return AiName(s, ai_pos, def) + " value needs " +
             (def->min == def->max ? "exactly " : "at least ") + std::to_string(def->min) +
             " characters; found " + std::to_string(len);
    });
  }
  if ((def->flags & kCheckDigit) && !Gs1CheckDigitValid(s.substr(d, len))) {
    return fail(e - 1, [&] {
      return AiName(s, ai_pos, def) + " check digit " + std::string(1, s[e - 1]) +
             " is wrong (GS1 mod-10)";
    });
  }
  if ((def->flags & kDate) && !ValidDateValue(s.substr(d, len))) {
    return fail(d, [&] {
      return AiName(s, ai_pos, def) + " date " + std::string(s.substr(d, len)) +
             " is not a valid YYMMDD date";
    });
  }
  return true;
}

}  // namespace validator::detail
