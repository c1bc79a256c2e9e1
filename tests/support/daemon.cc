#include "support/daemon.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "ledger/hash.h"

namespace testsupport {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string Joined(const std::vector<std::string>& args) {
  std::string s = "drugtrace";
  for (const auto& a : args) s += " " + a;
  return s;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string ExportedEntry::kind() const {
  if (!entry.is_object()) return "";
  auto it = entry.find("kind");
  return it != entry.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string DrugtraceOk(const std::vector<std::string>& args, const std::string& stdin_data) {
  ProcessResult r = Drugtrace(args, stdin_data);
  if (r.exit_code != 0) {
    throw std::runtime_error(Joined(args) + " exited " + std::to_string(r.exit_code) +
                             "; stderr: " + r.err + "; stdout: " + r.out);
  }
  return r.out;
}

DaemonFixture::DaemonFixture() : db_(dir_.file("ledger.db")), port_file_(dir_.file("port")) {
  DrugtraceOk({"init", "--db", db_, "--origin", "test.drugtrace/serve"});
  DrugtraceOk({"refdata", "import", "--db", db_,
               std::string(DRUGTRACE_SOURCE_DIR) + "/schemas/examples/refdata.example.json"});
}

DaemonFixture::~DaemonFixture() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

Token DaemonFixture::CreateToken(const std::string& role, const std::string& institution) {
  std::vector<std::string> args{"token", "create", "--db", db_, "--role", role};
  if (!institution.empty()) {
    args.push_back("--institution");
    args.push_back(institution);
  }
  ProcessResult r = Drugtrace(args);
  if (r.exit_code != 0) {
    throw std::runtime_error(Joined(args) + " failed: " + r.err);
  }
  Token t;
  t.secret = r.out.substr(0, r.out.find('\n'));
  // stderr: "token 1a2b3c4d (terminal for P...): shown once, store it now"
  const auto p = r.err.find("token ");
  if (p == std::string::npos || r.err.size() < p + 14) {
    throw std::runtime_error("token create printed no id: " + r.err);
  }
  t.id = r.err.substr(p + 6, 8);
  if (t.secret.rfind("dt_", 0) != 0) throw std::runtime_error("odd token: " + r.out);
  return t;
}

void DaemonFixture::RevokeToken(const std::string& id) {
  DrugtraceOk({"token", "revoke", "--db", db_, id});
}

void DaemonFixture::Start(const std::vector<std::string>& extra_args,
                          std::chrono::milliseconds timeout) {
  if (pid_ > 0) throw std::runtime_error("the daemon is already running");
  args_ = extra_args;
  std::error_code ec;
  std::filesystem::remove(port_file_, ec);
  ++runs_;
  {
    // A marker between runs, so a test can tell which run said what.
    const int fd = open(stderr_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot open " + stderr_path());
    const std::string marker = "=== run " + std::to_string(runs_) + " ===\n";
    (void)!write(fd, marker.data(), marker.size());
    close(fd);
  }

  std::vector<std::string> argv{DRUGTRACE_BINARY, "serve",       "--db",        db_,
                                "--listen",       "127.0.0.1:0", "--port-file", port_file_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const std::string err_path = stderr_path();
  std::vector<char*> cenv;
  for (char** e = environ; *e != nullptr; ++e) cenv.push_back(*e);
  for (auto& e : env_) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    const int null_fd = open("/dev/null", O_RDWR);
    const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null_fd < 0 || err_fd < 0) _exit(126);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(err_fd, 2);
    // Nothing else of the test process (other children's pipes, client sockets) may leak in: a
    // pipe kept open by the daemon would hang a concurrent testsupport::Run.
    const long max_fd = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); ++fd) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  pid_ = pid;
  port_ = 0;

  const auto deadline = Clock::now() + timeout;
  auto fail = [&](const std::string& why) {
    if (pid_ > 0) Stop(SIGKILL, 5s);
    throw std::runtime_error("drugtrace serve " + why + "; stderr:\n" + Stderr());
  };
  // The port file appears (atomically, by rename) once the daemon listens.
  while (true) {
    int status = 0;
    const pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      pid_ = -1;
      fail("exited early with " + std::to_string(DecodeWaitStatus(status)));
    }
    std::ifstream f(port_file_);
    unsigned port = 0;
    if (f && (f >> port) && port > 0 && port < 65536) {
      port_ = static_cast<std::uint16_t>(port);
      break;
    }
    if (Clock::now() > deadline) fail("wrote no port file in time");
    std::this_thread::sleep_for(10ms);
  }
  while (true) {
    HttpClient c("127.0.0.1", port_, 5s);
    HttpResult h = c.Get("/healthz");
    if (h.status == 200) return;
    if (Clock::now() > deadline) fail("did not answer /healthz: " + h.error);
    std::this_thread::sleep_for(20ms);
  }
}

void DaemonFixture::Signal(int sig) {
  if (pid_ <= 0) throw std::runtime_error("the daemon is not running");
  kill(pid_, sig);
}

int DaemonFixture::Reap(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
      pid_ = -1;
      port_ = 0;
      return DecodeWaitStatus(status);
    }
    if (w < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(5ms);
  }
}

int DaemonFixture::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::runtime_error("the daemon is not running");
  return Reap(timeout);
}

int DaemonFixture::Stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) throw std::runtime_error("the daemon is not running");
  kill(pid_, sig);
  int rc = Reap(timeout);
  if (rc == -1 && pid_ > 0) {
    kill(pid_, SIGKILL);
    Reap(10s);
    throw std::runtime_error("drugtrace serve did not exit within " +
                             std::to_string(timeout.count()) + " ms of signal " +
                             std::to_string(sig) + "; stderr:\n" + Stderr());
  }
  return rc;
}

void DaemonFixture::Restart() {
  const int rc = Stop();
  if (rc != 0) {
    throw std::runtime_error("drugtrace serve exited " + std::to_string(rc) +
                             " on SIGTERM; stderr:\n" + Stderr());
  }
  Start(args_);
}

HttpClient DaemonFixture::Client(std::chrono::milliseconds timeout) const {
  if (port_ == 0) throw std::runtime_error("the daemon is not running");
  return HttpClient("127.0.0.1", port_, timeout);
}

std::string DaemonFixture::Stderr() const {
  try {
    return ReadFile(stderr_path());
  } catch (const std::exception&) {
    return "";
  }
}

ProcessResult DaemonFixture::Verify() const {
  return Drugtrace({"verify", "--db", db_});
}

std::vector<ExportedEntry> DaemonFixture::Export() const {
  const std::string out = DrugtraceOk({"export", "--db", db_});
  std::vector<ExportedEntry> entries;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    ExportedEntry e;
    e.index = j.at("index").get<std::uint64_t>();
    e.type = j.at("type").get<std::uint32_t>();
    e.institution = j.at("institution").get<std::string>();
    auto raw = ledger::Base64Decode(j.at("entry").get<std::string>());
    if (!raw) throw std::runtime_error("export: entry " + std::to_string(e.index) + " not base64");
    e.bytes.assign(raw->begin(), raw->end());
    e.entry = nlohmann::json::parse(e.bytes, nullptr, /*allow_exceptions=*/false);
    entries.push_back(std::move(e));
  }
  return entries;
}

nlohmann::json DaemonFixture::Checkpoints() const {
  return nlohmann::json::parse(DrugtraceOk({"checkpoint", "--db", db_, "--list"}));
}

}  // namespace testsupport
