// Throughput of validator::ParseCode on a realistic scan mix: 85% 码上放心 20-digit codes (some
// with the scanner's CR/LF), 10% GS1 in its scanned forms, 3% EAN-13 product barcodes, 2%
// malformed. Usage: code_parse_bench [million codes, default 20]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "machine.h"
#include "validator/code.h"

namespace {

std::string Digits(std::mt19937_64& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
  return s;
}

std::string Alnum(std::mt19937_64& rng, int n) {
  static const char kChars[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(kChars[rng() % (sizeof kChars - 1)]);
  return s;
}

// Appends the GS1 mod-10 check digit.
std::string WithCheckDigit(std::string body) {
  int sum = 0, weight = 3;
  for (std::size_t i = body.size(); i-- > 0;) {
    sum += (body[i] - '0') * weight;
    weight = 4 - weight;
  }
  body.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return body;
}

std::string Gs1(std::mt19937_64& rng) {
  const std::string gtin = WithCheckDigit("0" + Digits(rng, 12));
  const std::string exp = "2" + std::to_string(5 + rng() % 5) + "0" +
                          std::to_string(1 + rng() % 9) + (rng() % 4 == 0 ? "00" : "15");
  const std::string lot = Alnum(rng, 6 + static_cast<int>(rng() % 4));
  const std::string sn = Alnum(rng, 10 + static_cast<int>(rng() % 8));
  switch (rng() % 4) {
    case 0:  // DataMatrix via a serial/USB scanner: AIM, FNC1 and GS sent
      return "]d2\x1d"
             "01" +
             gtin + "17" + exp + "10" + lot +
             "\x1d"
             "21" +
             sn;
    case 1:  // keyboard wedge: no AIM, GS dropped
      return "01" + gtin + "17" + exp + "10" + lot + "21" + sn;
    case 2:  // serial first, GS kept
      return "01" + gtin + "21" + sn +
             "\x1d"
             "17" +
             exp + "10" + lot;
    default:  // typed from the human-readable text
      return "(01)" + gtin + "(17)" + exp + "(10)" + lot + "(21)" + sn;
  }
}

std::string Malformed(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return Digits(rng, 19);
    case 1:
      return "7" + Digits(rng, 19);
    case 2:
      return "\xef\xbc\x98" + Digits(rng, 19);  // full-width 8
    case 3:
      return "8" + Digits(rng, 9) + " " + Digits(rng, 10);
    default:
      return "01" + Digits(rng, 14) + "17251301";
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double millions = argc > 1 ? std::atof(argv[1]) : 20.0;
  std::string command;
  for (int i = 0; i < argc; ++i) command += (i ? " " : "") + std::string(argv[i]);
  std::printf("code_parse_bench\ncommand: %s\n", command.c_str());
  std::printf("machine: %u CPUs, load average %s (at start)\n", std::thread::hardware_concurrency(),
              bench::LoadAverage().c_str());
  const auto total = static_cast<std::uint64_t>(millions * 1e6);
  std::mt19937_64 rng(20250701);
  std::vector<std::string> codes;
  const int kDistinct = 1 << 16;
  codes.reserve(kDistinct);
  for (int i = 0; i < kDistinct; ++i) {
    const unsigned r = rng() % 100;
    if (r < 85) {
      std::string c = "8" + Digits(rng, 19);
      if (rng() % 10 == 0) c += "\r\n";
      codes.push_back(std::move(c));
    } else if (r < 95) {
      codes.push_back(Gs1(rng));
    } else if (r < 98) {
      codes.push_back(WithCheckDigit("69" + Digits(rng, 10)));
    } else {
      codes.push_back(Malformed(rng));
    }
  }

  std::uint64_t kinds[5] = {0, 0, 0, 0, 0};
  std::uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = bench::ThreadCpuSeconds();
  for (std::uint64_t i = 0; i < total; ++i) {
    const validator::ParsedCode p = validator::ParseCode(codes[i & (kDistinct - 1)]);
    ++kinds[static_cast<int>(p.kind)];
    checksum += p.identity.size() + p.position;
  }
  const double cpu = bench::ThreadCpuSeconds() - cpu_start;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("parsed %llu codes (%d distinct)\n", static_cast<unsigned long long>(total),
              kDistinct);
  std::printf("  one core (thread CPU time): %.2f M codes/s, %.0f ns/code\n", total / cpu / 1e6,
              cpu * 1e9 / total);
  std::printf("  wall clock:                 %.2f M codes/s, %.0f ns/code\n", total / secs / 1e6,
              secs * 1e9 / total);
  for (int k = 0; k < 5; ++k) {
    std::printf("  %-15s %6.2f%%\n", validator::CodeKindName(static_cast<validator::CodeKind>(k)),
                100.0 * kinds[k] / total);
  }
  std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(checksum));
  return 0;
}
