// A seeded pseudo-random source whose every draw is defined here, so that a seed gives the same
// region on any standard library: std::mt19937_64's output sequence is fixed by the standard, but
// the std distributions are not (libstdc++ and libc++ differ, and have changed between versions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace simulate {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t Next() { return engine_(); }
  // Uniform in [0, n) without modulo bias; n > 0.
  std::uint64_t Below(std::uint64_t n);
  // Uniform in [lo, hi], both inclusive; lo <= hi.
  std::int64_t Range(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(Below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1), 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Poisson-distributed count with mean `lambda` (>= 0): Knuth's method below 12, a normal
  // approximation (Irwin-Hall, no transcendental functions) above.
  std::int64_t Poisson(double lambda);
  // An index drawn with probability proportional to the weights whose running sums `cumulative`
  // holds (non-decreasing, last element > 0).
  std::size_t Weighted(const std::vector<double>& cumulative);
  // A child generator for an independent stream (e.g. one per institution).
  Rng Fork(std::uint64_t salt) { return Rng(Next() ^ (salt * 0x9E3779B97F4A7C15ull)); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace simulate
