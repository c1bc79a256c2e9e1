#include "validator/date.h"

#include <cstdio>

namespace validator {

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
std::int64_t DaysFromCivil(const Date& d) {
  std::int64_t y = d.year - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Date CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
}

namespace {

bool Digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<Date> ParseDate(std::string_view t) {
  Date d;
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return std::nullopt;
  if (!Digits(t, 0, 4, d.year) || !Digits(t, 5, 2, d.month) || !Digits(t, 8, 2, d.day)) {
    return std::nullopt;
  }
  if (!IsValidDate(d)) return std::nullopt;
  return d;
}

std::optional<CivilSeconds> ParseCivilTime(std::string_view t) {
  auto date = ParseDate(t.substr(0, 10));
  if (!date) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  if (t.size() != 10) {
    if (t.size() != 19 || t[10] != ' ' || t[13] != ':' || t[16] != ':') return std::nullopt;
    if (!Digits(t, 11, 2, hh) || !Digits(t, 14, 2, mm) || !Digits(t, 17, 2, ss)) {
      return std::nullopt;
    }
    if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  }
  return DaysFromCivil(*date) * 86400 + hh * 3600 + mm * 60 + ss;
}

std::string FormatDate(const Date& d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

std::string FormatCivilTime(CivilSeconds t) {
  t = t < -kCivilSecondsLimit  ? -kCivilSecondsLimit
      : t > kCivilSecondsLimit ? kCivilSecondsLimit
                               : t;
  const Date d = DateOf(t);
  const std::int64_t secs = t - DaysFromCivil(d) * 86400;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", d.year, d.month, d.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

}  // namespace validator
