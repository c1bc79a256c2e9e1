// The real `drugtrace serve` as a child process, for tests that talk HTTP to the daemon: a fresh
// ledger in a temporary directory with the example reference data, tokens made with the CLI,
// start (waits for --port-file and /healthz), SIGTERM / SIGKILL / restart, the daemon's stderr
// captured to a file, and the ledger read back through the CLI (verify, export, checkpoints).
//
// Failures to set up (a CLI step failing, the daemon not coming up) throw std::runtime_error
// carrying the daemon's stderr.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace testsupport {

// Institutions of schemas/examples/refdata.example.json.
inline constexpr char kPharmacy[] = "P13080200001";  // 康宁大药房 (retail pharmacy)
inline constexpr char kHospital[] = "H13080200003";  // 承德市中心医院

// One ledger entry as `drugtrace export` writes it, its bytes decoded.
struct ExportedEntry {
  std::uint64_t index = 0;
  std::uint32_t type = 0;
  std::string institution;
  std::string bytes;     // the entry as recorded
  nlohmann::json entry;  // `bytes` parsed; discarded (is_discarded()) when not JSON
  // entry["kind"] when the entry is a JSON object with a string "kind", else "".
  std::string kind() const;
};

struct Token {
  std::string secret;  // "dt_..."
  std::string id;      // 8 hex digits, for `token revoke`
};

class DaemonFixture {
 public:
  // `drugtrace init` and `drugtrace refdata import` of the example reference data, in a fresh
  // temporary directory. The daemon is not started.
  DaemonFixture();
  // Kills a daemon still running (SIGKILL) and removes the directory.
  ~DaemonFixture();
  DaemonFixture(const DaemonFixture&) = delete;
  DaemonFixture& operator=(const DaemonFixture&) = delete;

  const std::string& db() const { return db_; }
  const TempDir& dir() const { return dir_; }

  // `drugtrace token create` (works while the daemon runs; it picks tokens up within ~2 s).
  Token CreateToken(const std::string& role, const std::string& institution = "");
  // `drugtrace token revoke <id>`.
  void RevokeToken(const std::string& id);

  // "NAME=value" entries added to the daemon's environment by every later Start (e.g.
  // DRUGTRACE_FAULT_VFS); the CLI steps of the fixture do not see them.
  void SetDaemonEnvironment(std::vector<std::string> vars) { env_ = std::move(vars); }

  // Starts `drugtrace serve --db <db> --listen 127.0.0.1:0 --port-file <f> <extra_args>` and
  // waits (up to `timeout`) until the port file appears and GET /healthz answers 200.
  void Start(const std::vector<std::string>& extra_args = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Sends `sig`, waits for the exit (up to `timeout`, then SIGKILL). Returns the exit code, or
  // 128 + signal when a signal ended it (so SIGKILL gives 137).
  int Stop(int sig = SIGTERM, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  int Kill() { return Stop(SIGKILL); }
  // Sends a signal without waiting.
  void Signal(int sig);
  // Waits for the child to exit (after Signal). Same result as Stop; -1 on timeout (still running).
  int Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then Start again with the same arguments.
  void Restart();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  // A client for the running daemon.
  HttpClient Client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Everything every run of the daemon wrote to stderr (runs are separated by a marker line).
  std::string Stderr() const;
  std::string stderr_path() const { return dir_.file("serve.stderr"); }

  // `drugtrace verify --db`.
  ProcessResult Verify() const;
  // `drugtrace export --db`, parsed.
  std::vector<ExportedEntry> Export() const;
  // `drugtrace checkpoint --db --list`, parsed (an array of {seq, signed_at_ms, tree_size, ...}).
  nlohmann::json Checkpoints() const;

 private:
  int Reap(std::chrono::milliseconds timeout);

  TempDir dir_;
  std::string db_;
  std::string port_file_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int runs_ = 0;
};

// Runs drugtrace and throws (with its stderr) unless it exits 0; returns its stdout.
std::string DrugtraceOk(const std::vector<std::string>& args, const std::string& stdin_data = "");

}  // namespace testsupport
