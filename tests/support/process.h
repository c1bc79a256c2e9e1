// Runs the real drugtrace binary (or any program) and captures its output, for CLI tests.
#pragma once

#include <string>
#include <vector>

namespace testsupport {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program path) with optional standard input; waits for it.
ProcessResult Run(const std::vector<std::string>& argv, const std::string& stdin_data = "");
// Runs the drugtrace binary built with the tests.
ProcessResult Drugtrace(const std::vector<std::string>& args, const std::string& stdin_data = "");

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);

}  // namespace testsupport
