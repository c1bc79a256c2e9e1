#include "simulate/random.h"

#include <algorithm>
#include <cmath>

namespace simulate {

std::uint64_t Rng::Below(std::uint64_t n) {
  // Rejection sampling: draws in the incomplete last block of n would bias the result.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n + 1) % n;
  while (true) {
    const std::uint64_t x = Next();
    if (x <= limit) return x % n;
  }
}

std::int64_t Rng::Poisson(double lambda) {
  if (lambda <= 0) return 0;
  if (lambda < 12) {
    const double floor = std::exp(-lambda);
    std::int64_t k = 0;
    double p = Uniform();
    while (p > floor) {
      ++k;
      p *= Uniform();
    }
    return k;
  }
  double z = -6;
  for (int i = 0; i < 12; ++i) z += Uniform();
  return std::max<std::int64_t>(0, std::llround(lambda + z * std::sqrt(lambda)));
}

std::size_t Rng::Weighted(const std::vector<double>& cumulative) {
  const double x = Uniform() * cumulative.back();
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
  return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()),
                               cumulative.size() - 1);
}

}  // namespace simulate
