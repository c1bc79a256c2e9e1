#include "validator/row.h"

namespace validator {

std::optional<Quantity> Quantity::Parse(std::string_view t) {
  // At most 15 integer digits keeps milli within int64.
  std::int64_t whole = 0;
  std::size_t i = 0;
  for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
    if (i >= 15) return std::nullopt;
    whole = whole * 10 + (t[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::int64_t frac = 0;
  if (i < t.size()) {
    if (t[i] != '.' || i + 1 == t.size() || t.size() - i - 1 > 3) return std::nullopt;
    int scale = 100;
    for (++i; i < t.size(); ++i, scale /= 10) {
      if (t[i] < '0' || t[i] > '9') return std::nullopt;
      frac += (t[i] - '0') * scale;
    }
  }
  return Quantity{whole * 1000 + frac};
}

std::string Quantity::ToString() const {
  std::string out = std::to_string(milli / 1000);
  std::int64_t frac = milli % 1000;
  if (frac < 0) frac = -frac;
  if (frac == 0) return out;
  std::string f = std::to_string(1000 + frac).substr(1);
  while (f.back() == '0') f.pop_back();
  return out + "." + f;
}

}  // namespace validator
