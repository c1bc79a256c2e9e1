// The real binaries: `drugtrace upload --spool` against `drugtrace serve`, with the server killed
// mid-upload and restarted, and the client killed and run again: every message is recorded once.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger/hash.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using testsupport::Drugtrace;
using testsupport::ReadFile;
using testsupport::TempDir;
using testsupport::WriteFile;

// A drugtrace process in the background, its output going to files. Killed if still running when
// destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
    std::vector<std::string> argv{DRUGTRACE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int n = ::open("/dev/null", O_RDONLY);
      ::dup2(n, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> v;
      for (auto& a : argv) v.push_back(a.data());
      v.push_back(nullptr);
      ::execv(v[0], v.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) Kill(SIGKILL);
  }
  // Sends `sig` unless it already ended, and waits; the exit code, or -1 when a signal killed it.
  int Kill(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
    return Wait();
  }
  int Wait() {
    if (pid_ > 0) {
      while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  bool Running() {
    if (pid_ > 0 && ::waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
    return pid_ > 0;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

std::size_t CountLines(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return 0;
  std::size_t n = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) n += c == '\n';
  std::fclose(f);
  return n;
}

// Waits until `done()` or the deadline; false on timeout.
template <typename F>
bool WaitFor(F done, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A purchase (3503) of one box whose 20-digit code maps to 阿卡波糖片 in the example refdata.
std::string Purchase(int i) {
  char id[32], code[32], bchno[32];
  std::snprintf(id, sizeof id, "P13080200001UP%09d", i);
  std::snprintf(code, sizeof code, "8100001%013d", i);
  std::snprintf(bchno, sizeof bchno, "UP-%06d", i);
  nlohmann::json row = {{"fixmedins_bchno", bchno},
                        {"med_list_codg", "XA10BFA001A001010101001"},
                        {"fixmedins_hilist_id", "YP000451"},
                        {"fixmedins_hilist_name", "阿卡波糖片 50mg×30片"},
                        {"dynt_no", "PS2025073000018"},
                        {"spler_name", "承德医药有限公司"},
                        {"purc_retn_cnt", "1"},
                        {"purc_retn_stoin_time", "2025-07-30 13:45:10"},
                        {"manu_lotnum", "B250312"},
                        {"manu_date", "2025-03-12"},
                        {"expy_end", "2027-02-28"},
                        {"finl_trns_pric", "28.20"},
                        {"drugtracinfo", {{{"drug_trac_codg", code}}}}};
  nlohmann::json m = {{"infno", "3503"},
                      {"msgid", id},
                      {"fixmedins_code", "P13080200001"},
                      {"inf_time", "2025-07-30 14:00:00"},
                      {"opter", "0002"},
                      {"opter_name", "库管员"},
                      {"input", {{"purcinfo", {row}}}}};
  return m.dump();
}

struct Server {
  std::unique_ptr<Child> process;
  std::string port;
};

Server StartServer(const TempDir& dir, const std::string& db, const std::string& port,
                   const std::string& name) {
  const std::string port_file = dir.file(name + ".port");
  std::remove(port_file.c_str());
  Server s;
  s.process = std::make_unique<Child>(
      std::vector<std::string>{"serve", "--db", db, "--listen", "127.0.0.1:" + port, "--port-file",
                               port_file},
      dir.file(name + ".out"), dir.file(name + ".err"));
  const bool ready = WaitFor([&] { return CountLines(port_file) == 1; }, 20s);
  INFO(ReadFile(dir.file(name + ".err")));
  REQUIRE(ready);
  s.port = ReadFile(port_file);
  s.port.pop_back();
  return s;
}

}  // namespace

TEST_CASE("upload: server and client killed mid-upload, every message recorded exactly once",
          "[upload]") {
  constexpr int kMessages = 500;
  TempDir dir;
  const std::string db = dir.file("l.db");
  REQUIRE(Drugtrace({"init", "--db", db, "--origin", "test/upload"}).exit_code == 0);
  REQUIRE(Drugtrace({"refdata", "import", "--db", db,
                     DRUGTRACE_SOURCE_DIR "/schemas/examples/refdata.example.json"})
              .exit_code == 0);
  auto token = Drugtrace(
      {"token", "create", "--db", db, "--role", "terminal", "--institution", "P13080200001"});
  REQUIRE(token.exit_code == 0);
  WriteFile(dir.file("token"), token.out);
  std::string input;
  for (int i = 0; i < kMessages; ++i) input += Purchase(i) + "\n";
  const std::string messages = dir.file("messages.ndjson");
  WriteFile(messages, input);

  Server server = StartServer(dir, db, "0", "serve1");
  const std::string port = server.port;
  auto upload_args = [&] {
    return std::vector<std::string>{
        "upload",          "--server",        "http://127.0.0.1:" + port,
        "--token-file",    dir.file("token"), "--spool",
        dir.file("spool"), "--max-backoff",   "0.2",
        messages};
  };
  const std::string out1 = dir.file("upload1.out");
  Child client(upload_args(), out1, dir.file("upload1.err"));

  // Kill the server (no drain) partway, then bring it back on the same port; the client retries.
  REQUIRE(WaitFor([&] { return CountLines(out1) >= 150; }, 30s));
  CHECK(server.process->Kill(SIGKILL) == -1);
  std::this_thread::sleep_for(300ms);
  server = StartServer(dir, db, port, "serve2");
  // Then kill the client partway and run it again with the same spool and input.
  REQUIRE(WaitFor([&] { return CountLines(out1) >= 300 || !client.Running(); }, 30s));
  client.Kill(SIGKILL);
  INFO("first run's stderr: " << ReadFile(dir.file("upload1.err")));
  auto rerun = Drugtrace(upload_args());
  INFO("rerun's stderr: " << rerun.err);
  CHECK(rerun.exit_code == 0);

  std::size_t lines = 0, from_spool = 0;
  std::istringstream out(rerun.out);
  for (std::string line; std::getline(out, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    CHECK(j["status"] == 200);
    CHECK(j["response"]["infcode"] == 0);
    from_spool += j.value("from_spool", false);
  }
  CHECK(lines == kMessages);
  CHECK(from_spool >= 150);
  CHECK(server.process->Kill(SIGTERM) == 0);

  // The ledger: one upload-row entry per message and per row, and it verifies.
  auto exported = Drugtrace({"export", "--db", db});
  REQUIRE(exported.exit_code == 0);
  std::map<std::string, int> by_msgid, by_bchno;
  std::istringstream entries(exported.out);
  for (std::string line; std::getline(entries, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e["type"] != 1) continue;
    const auto bytes = ledger::Base64Decode(e["entry"].get<std::string>());
    REQUIRE(bytes);
    const auto row = nlohmann::json::parse(bytes->begin(), bytes->end());
    ++by_msgid[row["msgid"].get<std::string>()];
    ++by_bchno[row["row"]["fixmedins_bchno"].get<std::string>()];
  }
  CHECK(by_msgid.size() == kMessages);
  CHECK(by_bchno.size() == kMessages);
  for (const auto& [msgid, n] : by_msgid) {
    INFO(msgid);
    CHECK(n == 1);
  }
  for (const auto& [bchno, n] : by_bchno) {
    INFO(bchno);
    CHECK(n == 1);
  }
  auto verified = Drugtrace({"verify", "--db", db});
  INFO(verified.err);
  CHECK(verified.exit_code == 0);
}

TEST_CASE("upload: usage errors and bad input lines", "[upload]") {
  TempDir dir;
  auto none = Drugtrace({"upload", "--server", "http://127.0.0.1:1", "--token", "t"});
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("--spool") != std::string::npos);
  auto no_token = Drugtrace({"upload", "--server", "http://127.0.0.1:1", "-"}, "{}\n");
  CHECK(no_token.exit_code == 1);
  CHECK(no_token.err.find("--token") != std::string::npos);
  // Only bad lines: reported with their numbers, nothing to send, so no server is needed.
  auto bad = Drugtrace({"upload", "--server", "http://127.0.0.1:1", "--token", "t", "-"},
                       "{\"msgid\":\n\n{\"infno\":\"3503\"}\n");
  CHECK(bad.exit_code == 1);
  std::istringstream out(bad.out);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(nlohmann::json::parse(line));
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["line"] == 1);
  CHECK(lines[0]["status"] == "invalid");
  CHECK(lines[1]["line"] == 3);
  CHECK(lines[1]["error"] == "no msgid");
  CHECK(bad.err.find("2 invalid") != std::string::npos);
}
