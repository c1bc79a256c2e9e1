// A tiny stand-in for libFuzzer's main, so that the fuzz targets run in the ordinary (GCC) test
// build: it feeds LLVMFuzzerTestOneInput every file of the committed corpus, then a fixed number
// of deterministic mutations of them (bit flips, byte changes, insertions, deletions, duplicated
// ranges, splices of two inputs, truncations). No coverage guidance: a regression replay and a
// cheap smoke fuzz, not a replacement for scripts/fuzz.sh.
//
//   fuzz_replay_<target> CORPUS_DIR [MUTATIONS [MAX_LEN [SEED]]]
//
// A crashing input is written to ./replay-crash-<target> before the target runs it (so that it
// survives an abort), and removed when it passes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// splitmix64: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }

 private:
  std::uint64_t s_;
};

// Bytes that tend to matter to parsers of text protocols.
constexpr char kInteresting[] = {'\0', '\r',   '\n',   ' ',    '"',    '\\', '{', '}',
                                 '[',  ']',    ':',    ',',    '0',    '9',  '-', '.',
                                 'e',  '\x1d', '\x7f', '\x80', '\xff', '%'};

void Mutate(std::string& s, const std::vector<std::string>& corpus, Rng& rng) {
  const int steps = 1 + static_cast<int>(rng.Below(4));
  for (int i = 0; i < steps; ++i) {
    const std::size_t pos = s.empty() ? 0 : rng.Below(s.size());
    switch (rng.Below(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << rng.Below(8)));
        break;
      case 1:  // an interesting byte in place of one
        if (!s.empty()) s[pos] = kInteresting[rng.Below(sizeof kInteresting)];
        break;
      case 2:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng.Next()));
        break;
      case 3:  // delete a range
        if (!s.empty()) s.erase(pos, 1 + rng.Below(std::min<std::size_t>(16, s.size() - pos)));
        break;
      case 4: {  // duplicate a range
        if (s.empty()) break;
        const std::size_t len = 1 + rng.Below(std::min<std::size_t>(64, s.size() - pos));
        s.insert(rng.Below(s.size() + 1), s.substr(pos, len));
        break;
      }
      case 5: {  // splice: our head, another input's tail
        const std::string& other = corpus[rng.Below(corpus.size())];
        if (other.empty()) break;
        s = s.substr(0, pos) + other.substr(rng.Below(other.size()));
        break;
      }
      case 6:  // truncate
        s.resize(pos);
        break;
      case 7: {  // a run of one byte (deep nesting, long numbers, long tokens)
        const char c = kInteresting[rng.Below(sizeof kInteresting)];
        s.insert(pos, 1 + rng.Below(200), c);
        break;
      }
    }
  }
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Save(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MUTATIONS [MAX_LEN [SEED]]]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const long mutations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2000;
  const std::size_t max_len = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 16384;
  const std::uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;

  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec || files.empty()) {
    std::fprintf(stderr, "%s: no corpus files in %s\n", argv[0], dir.c_str());
    return 2;
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  for (const auto& f : files) corpus.push_back(ReadAll(f));

  const std::string crash_file =
      "replay-crash-" + std::filesystem::path(argv[0]).filename().string();
  auto run = [&](const std::string& input) {
    Save(crash_file, input);
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  };
  for (const auto& input : corpus) run(input);
  Rng rng(seed);
  std::string input;
  for (long i = 0; i < mutations; ++i) {
    input = corpus[static_cast<std::size_t>(i) % corpus.size()];
    Mutate(input, corpus, rng);
    if (input.size() > max_len) input.resize(max_len);
    run(input);
  }
  std::filesystem::remove(crash_file, ec);
  std::printf("%s: %zu corpus files and %ld mutations (seed %llu) ran without a crash\n", argv[0],
              corpus.size(), mutations, static_cast<unsigned long long>(seed));
  return 0;
}
