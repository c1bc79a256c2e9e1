// Civil dates and times as plain data. The validator has no clock: every time it sees arrives in a
// row, as China Standard Time civil time (the NHSA interfaces send "yyyy-MM-dd HH:mm:ss" without
// zone).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace validator {

struct Date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31
  auto operator<=>(const Date&) const = default;
};

constexpr bool IsLeapYear(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
constexpr int DaysInMonth(int y, int m) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}
constexpr bool IsValidDate(const Date& d) {
  return d.year >= 1 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= DaysInMonth(d.year, d.month);
}

// Days since 1970-01-01 of a valid proleptic Gregorian date (negative before).
std::int64_t DaysFromCivil(const Date& d);
Date CivilFromDays(std::int64_t days);

// Seconds since 1970-01-01 00:00:00 of civil (local, zone-less) time.
using CivilSeconds = std::int64_t;

// "yyyy-MM-dd HH:mm:ss" (also accepts "yyyy-MM-dd"); nullopt if malformed or out of range.
std::optional<CivilSeconds> ParseCivilTime(std::string_view text);
// "yyyy-MM-dd"; nullopt if malformed or invalid.
std::optional<Date> ParseDate(std::string_view text);
std::string FormatCivilTime(CivilSeconds t);  // "yyyy-MM-dd HH:mm:ss"
std::string FormatDate(const Date& d);        // "yyyy-MM-dd"
// Times beyond ±2^50 s (about 35 million years; no real row or state has one) are clamped, so
// garbage never overflows.
inline constexpr CivilSeconds kCivilSecondsLimit = CivilSeconds{1} << 50;
inline Date DateOf(CivilSeconds t) {
  t = t < -kCivilSecondsLimit  ? -kCivilSecondsLimit
      : t > kCivilSecondsLimit ? kCivilSecondsLimit
                               : t;
  return CivilFromDays(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

}  // namespace validator
