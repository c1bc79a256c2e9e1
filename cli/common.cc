#include "common.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace cli {

int Fail(const std::string& context, const ledger::Status& status) {
  std::cerr << "drugtrace: " << context << ": " << status.message() << "\n";
  return kExitFailure;
}

int Fail(const std::string& message) {
  std::cerr << "drugtrace: " << message << "\n";
  return kExitFailure;
}

std::optional<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    Fail("cannot read " + path + ": " + std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) {
    Fail("cannot read " + path);
    return std::nullopt;
  }
  return s.str();
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cli
