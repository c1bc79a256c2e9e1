// `drugtrace serve`: runs the ingest daemon until SIGTERM or SIGINT, then drains.
#include <signal.h>

#include <cctype>
#include <fstream>
#include <iostream>

#include "common.h"
#include "ingest/daemon.h"
#include "ledger/hash.h"
#include "ledger/note.h"

namespace cli {

namespace {

struct ServeArgs {
  std::string db;
  std::string listen = "127.0.0.1:8440";
  std::string tls_cert, tls_key, port_file, console_public_key;
  bool insecure_listen = false;
  int threads = 2;
  std::size_t body_limit = 4 << 20;
  std::size_t queue = 8192;
  int slow_commit_ms = 250;
  int wal_restart_mib = 64;
};

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// The console's key fingerprint: SHA-256 of the raw 32-byte Ed25519 public key, lower-case hex
// in groups of 8 (the console computes and shows the same, docs/console.md).
std::string Fingerprint(const ledger::VerifierKey& key) {
  const std::string hex = ledger::ToHex(ledger::Sha256(ledger::Bytes(key.public_key())));
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 8) {
    out += (i ? " " : "") + hex.substr(i, 8);
  }
  return out;
}

int RunServe(const ServeArgs& a) {
  ingest::DaemonOptions o;
  o.db_path = a.db;
  if (!a.console_public_key.empty()) {
    auto text = ReadInput(a.console_public_key);
    if (!text) return kExitFailure;
    while (!text->empty() && std::isspace(static_cast<unsigned char>(text->back()))) {
      text->pop_back();
    }
    auto key = ledger::VerifierKey::Parse(*text);
    if (!key.ok()) {
      return Fail("serve: --console-public-key " + a.console_public_key +
                      " does not hold a verifier key (the output of drugtrace key)",
                  key.status());
    }
    o.console_public_key = key->ToString();
  }
  const auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) return Fail("serve: --listen must be HOST:PORT, got " + a.listen);
  o.http.address = a.listen.substr(0, colon);
  if (o.http.address.size() > 2 && o.http.address.front() == '[') {
    o.http.address = o.http.address.substr(1, o.http.address.size() - 2);
  }
  try {
    const int port = std::stoi(a.listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    o.http.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return Fail("serve: --listen has a bad port: " + a.listen);
  }
  const bool tls = !a.tls_cert.empty() || !a.tls_key.empty();
  if (tls && (a.tls_cert.empty() || a.tls_key.empty())) {
    return Fail("serve: --tls-cert and --tls-key go together");
  }
  if (!tls && !IsLoopback(o.http.address) && !a.insecure_listen) {
    return Fail("serve: refusing plain HTTP on " + o.http.address +
                "; give --tls-cert/--tls-key, or --insecure-listen if a proxy terminates TLS");
  }
  o.http.tls_cert_file = a.tls_cert;
  o.http.tls_key_file = a.tls_key;
  o.http.threads = a.threads;
  o.http.body_limit = a.body_limit;
  o.queue_capacity = a.queue;
  o.slow_commit_log = std::chrono::milliseconds(a.slow_commit_ms);
  o.wal_restart_bytes = std::int64_t{a.wal_restart_mib} << 20;

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::string error;
  auto daemon = ingest::Daemon::Start(o, error);
  if (!daemon) return Fail("serve: " + error);
  std::cerr << "drugtrace serve: listening on " << (tls ? "https://" : "http://") << o.http.address
            << ":" << daemon->port() << " (ledger " << a.db << ")\n";
  if (auto key = ledger::VerifierKey::Parse(daemon->console_public_key()); key.ok()) {
    std::cerr << "drugtrace serve: console verifier key " << key->ToString() << "\n"
              << "drugtrace serve: its fingerprint (SHA-256) " << Fingerprint(*key) << "\n";
  }
  if (!a.port_file.empty()) {
    std::ofstream f(a.port_file + ".tmp");
    f << daemon->port() << "\n";
    f.close();
    std::rename((a.port_file + ".tmp").c_str(), a.port_file.c_str());
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "drugtrace serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", draining\n";
  daemon->Stop();
  std::cerr << "drugtrace serve: stopped\n";
  return 0;
}

}  // namespace

void RegisterServeCommand(CLI::App& app, int& exit_code) {
  static ServeArgs a;
  auto* s = app.add_subcommand("serve", "Run the ingest daemon (POST /v1/upload)");
  s->add_option("--db", a.db, "Ledger database")->required();
  s->add_option("--listen", a.listen, "HOST:PORT to listen on (port 0: any free port)");
  s->add_option("--tls-cert", a.tls_cert, "PEM certificate chain for HTTPS");
  s->add_option("--tls-key", a.tls_key, "PEM private key for HTTPS");
  s->add_flag("--insecure-listen", a.insecure_listen, "Allow plain HTTP on a non-loopback address");
  s->add_option("--threads", a.threads, "Network threads")->check(CLI::Range(1, 64));
  s->add_option("--body-limit", a.body_limit, "Largest request body in bytes");
  s->add_option("--queue", a.queue, "Messages waiting for the writer before 503");
  s->add_option("--slow-commit-ms", a.slow_commit_ms,
                "Log group commits slower than this to stderr, with where the time went (0: off)")
      ->check(CLI::Range(0, 3600000));
  s->add_option("--wal-restart-mib", a.wal_restart_mib,
                "Drain the WAL between commits once it holds this much, so the log restarts "
                "(docs/ingest.md)")
      ->check(CLI::Range(1, 65536));
  s->add_option("--port-file", a.port_file, "Write the listening port here once ready");
  s->add_option("--console-public-key", a.console_public_key,
                "Verifier key file the console checks checkpoints with (default: the log's own)");
  s->callback([&] { exit_code = RunServe(a); });
}

}  // namespace cli
