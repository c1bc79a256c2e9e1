// The upload client against a scripted HTTP server on POSIX sockets: retries (503 + Retry-After,
// dropped connections), final 4xx, stopping (401, giving up), keep-alive, input checks, the spool
// across simulated crashes, and HTTPS certificate checks against the daemon's own TLS server.
#include "ingest/upload_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ingest/http.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using ingest::UploadClient;
using ingest::UploadOptions;
using ingest::UploadResult;
using ingest::UploadStatus;

// One scripted answer; when the script has run out the server answers 200, echoing the msgid.
struct Action {
  int status = 200;
  std::string body = R"({"infcode":-1,"err_msg":"scripted"})";
  std::string retry_after;
  bool drop = false;  // read the request, then close the connection without answering
  bool hang = false;  // read the request, then keep the connection open and never answer
};

// A single-threaded HTTP/1.1 server: one connection at a time, keep-alive, Content-Length bodies.
class ScriptedServer {
 public:
  ScriptedServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
    for (int fd : held_) ::close(fd);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Script(std::vector<Action> actions) {
    std::lock_guard lock(mu_);
    script_.insert(script_.end(), actions.begin(), actions.end());
  }
  // msgids in the order requests arrived, answered or not.
  std::vector<std::string> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t Count(const std::string& msgid) const {
    auto r = received();
    return static_cast<std::size_t>(std::count(r.begin(), r.end(), msgid));
  }
  std::size_t connections() const { return connections_; }
  std::string last_authorization() const {
    std::lock_guard lock(mu_);
    return authorization_;
  }

 private:
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve() {
    while (WaitReadable(listener_)) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      ServeConnection(fd);
      ::close(fd);
    }
  }

  // Reads one request into `head` and `body`; false at end of stream.
  bool ReadRequest(int fd, std::string& buffer, std::string& head, std::string& body) {
    std::size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(fd, buffer)) return false;
    }
    head = buffer.substr(0, end + 2);
    std::size_t length = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    if (auto at = lower.find("content-length:"); at != std::string::npos) {
      length = std::stoul(lower.substr(at + 15));
    }
    while (buffer.size() < end + 4 + length) {
      if (!Fill(fd, buffer)) return false;
    }
    body = buffer.substr(end + 4, length);
    buffer.erase(0, end + 4 + length);
    if (auto at = lower.find("authorization:"); at != std::string::npos) {
      const std::size_t eol = head.find("\r\n", at);
      std::lock_guard lock(mu_);
      authorization_ = head.substr(at + 15, eol - at - 15);
    }
    return true;
  }

  bool Fill(int fd, std::string& buffer) {
    if (!WaitReadable(fd)) return false;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  void ServeConnection(int fd) {
    std::string buffer, head, body;
    while (ReadRequest(fd, buffer, head, body)) {
      const auto message = nlohmann::json::parse(body, nullptr, false);
      const std::string msgid = message.is_object() ? message.value("msgid", "") : "";
      Action action;
      {
        std::lock_guard lock(mu_);
        received_.push_back(msgid);
        if (!script_.empty()) {
          action = script_.front();
          script_.erase(script_.begin());
        } else {
          action.body =
              nlohmann::json{{"infcode", 0}, {"output", {{"msgid", msgid}, {"rows", {}}}}}.dump();
        }
      }
      if (action.drop) return;
      if (action.hang) {
        held_.push_back(::dup(fd));
        return;
      }
      std::string res = "HTTP/1.1 " + std::to_string(action.status) +
                        " X\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(action.body.size()) + "\r\n";
      if (!action.retry_after.empty()) res += "Retry-After: " + action.retry_after + "\r\n";
      res += "\r\n" + action.body;
      if (::send(fd, res.data(), res.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(res.size())) {
        return;
      }
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  mutable std::mutex mu_;
  std::vector<Action> script_;
  std::vector<std::string> received_;
  std::string authorization_;
  std::vector<int> held_;  // connections left hanging
  std::thread thread_;
};

Action Answer(int status, const std::string& err_msg, const std::string& retry_after = "") {
  Action a;
  a.status = status;
  a.body = nlohmann::json{{"infcode", -1}, {"err_msg", err_msg}}.dump();
  a.retry_after = retry_after;
  return a;
}

Action Hang() {
  Action a;
  a.hang = true;
  return a;
}

Action Drop() {
  Action a;
  a.drop = true;
  return a;
}

std::string Message(const std::string& msgid, const std::string& extra = "") {
  return R"({"infno":"3503","msgid":")" + msgid + R"(","fixmedins_code":"P13080200001")" + extra +
         "}";
}

std::string MsgId(int i) {
  return "M" + std::to_string(i);
}

UploadOptions Options(const std::string& url, const std::string& spool = "") {
  UploadOptions o;
  o.server = url;
  o.token = "dt_test";
  o.spool_dir = spool;
  o.initial_backoff = 10ms;
  o.max_backoff = 100ms;
  o.request_timeout = 5s;
  o.connect_timeout = 5s;
  o.give_up_after = 20s;
  return o;
}

std::unique_ptr<UploadClient> Open(const UploadOptions& o) {
  auto c = UploadClient::Open(o);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return std::move(*c);
}

// Adds lines [from, to] of the standard input (line i carries msgid M<i>); none may settle at once.
void AddQueued(UploadClient& c, int from, int to) {
  for (int i = from; i <= to; ++i) {
    auto r = c.Add("in.ndjson", static_cast<std::size_t>(i), Message(MsgId(i)));
    REQUIRE(r.ok());
    REQUIRE_FALSE(*r);
  }
}

UploadResult Next(UploadClient& c) {
  auto r = c.SendNext();
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(*r);
  return **r;
}

std::vector<UploadResult> Drain(UploadClient& c) {
  std::vector<UploadResult> out;
  while (c.queued() > 0) out.push_back(Next(c));
  auto none = c.SendNext();
  REQUIRE(none.ok());
  CHECK_FALSE(*none);
  return out;
}

std::uint16_t UnusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("upload: retries 503 with Retry-After and dropped connections, then gets through",
          "[upload]") {
  ScriptedServer server;
  server.Script({Answer(503, "ingest queue is full", "1"), Drop(), Drop()});
  auto o = Options(server.url());
  std::vector<std::string> notes;
  o.on_retry = [&](const std::string& note) { notes.push_back(note); };
  auto client = Open(o);
  AddQueued(*client, 1, 1);
  const auto t0 = std::chrono::steady_clock::now();
  const UploadResult r = Next(*client);
  CHECK(std::chrono::steady_clock::now() - t0 >= 1s);  // Retry-After was honoured
  CHECK(r.status == UploadStatus::kAnswered);
  CHECK(r.http_status == 200);
  CHECK(r.msgid == "M1");
  CHECK(r.line == 1);
  CHECK(r.response.find("\"msgid\":\"M1\"") != std::string::npos);
  CHECK(server.Count("M1") == 4);
  // The first drop is of the connection the 503 came on: a dead kept-alive connection is retried
  // at once on a new one, without waiting.
  CHECK(client->stats().retries == 2);
  CHECK(client->stats().connections == 3);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].find("HTTP 503: ingest queue is full") != std::string::npos);
  CHECK(server.last_authorization() == "Bearer dt_test");
}

TEST_CASE("upload: a server that never answers times out and is tried again", "[upload]") {
  ScriptedServer server;
  server.Script({Hang()});
  auto o = Options(server.url());
  o.request_timeout = 200ms;
  auto client = Open(o);
  AddQueued(*client, 1, 1);
  const UploadResult r = Next(*client);
  CHECK(r.accepted());
  CHECK(server.Count("M1") == 2);
  CHECK(client->stats().retries == 1);
  CHECK(client->stats().connections == 2);
}

TEST_CASE("upload: a 400 is final: reported, not retried, and the next message goes", "[upload]") {
  ScriptedServer server;
  server.Script({Answer(400, "/infno: bad")});
  auto client = Open(Options(server.url()));
  AddQueued(*client, 1, 2);
  auto results = Drain(*client);
  REQUIRE(results.size() == 2);
  CHECK(results[0].status == UploadStatus::kAnswered);
  CHECK(results[0].http_status == 400);
  CHECK_FALSE(results[0].accepted());
  CHECK(results[0].response.find("/infno: bad") != std::string::npos);
  CHECK(results[1].accepted());
  CHECK(server.received() == std::vector<std::string>{"M1", "M2"});
  CHECK_FALSE(client->stopped());
}

TEST_CASE("upload: one kept-alive connection carries every message", "[upload]") {
  ScriptedServer server;
  auto client = Open(Options(server.url()));
  AddQueued(*client, 1, 20);
  for (const auto& r : Drain(*client)) CHECK(r.accepted());
  CHECK(server.received().size() == 20);
  CHECK(server.connections() == 1);
  CHECK(client->stats().connections == 1);
}

TEST_CASE("upload: 401 stops the run, the rest stay unsent and are not tried", "[upload]") {
  ScriptedServer server;
  server.Script({Answer(401, "unknown token")});
  auto client = Open(Options(server.url()));
  AddQueued(*client, 1, 3);
  auto results = Drain(*client);
  REQUIRE(results.size() == 3);
  CHECK(results[0].status == UploadStatus::kUnsent);
  CHECK(results[0].http_status == 401);
  CHECK(results[0].error.find("unknown token") != std::string::npos);
  CHECK(results[2].status == UploadStatus::kUnsent);
  CHECK(client->stopped());
  CHECK(server.received().size() == 1);
}

TEST_CASE("upload: gives up when the server stays away, a spool keeps what was not sent",
          "[upload]") {
  testsupport::TempDir dir;
  auto o = Options("http://127.0.0.1:" + std::to_string(UnusedPort()), dir.file("spool"));
  o.give_up_after = 300ms;
  {
    auto client = Open(o);
    AddQueued(*client, 1, 3);
    auto results = Drain(*client);
    REQUIRE(results.size() == 3);
    CHECK(results[0].status == UploadStatus::kUnsent);
    CHECK(results[0].error.find("gave up") != std::string::npos);
    CHECK(results[0].error.find("connect") != std::string::npos);
    CHECK(client->stopped());
    CHECK(client->stats().retries > 0);
  }
  ScriptedServer server;
  o.server = server.url();
  auto client = Open(o);
  CHECK(client->queued() == 3);  // from the spool, with their lines
  auto results = Drain(*client);
  REQUIRE(results.size() == 3);
  CHECK(results[2].accepted());
  CHECK(results[2].line == 3);
  CHECK(server.received() == std::vector<std::string>{"M1", "M2", "M3"});
}

TEST_CASE("upload: bad lines are reported with their line number and never sent", "[upload]") {
  ScriptedServer server;
  auto client = Open(Options(server.url()));
  auto add = [&](std::size_t line, const std::string& text) {
    auto r = client->Add("in", line, text);
    REQUIRE(r.ok());
    return *r;
  };
  auto bad = add(1, R"({"msgid":"A",)");
  REQUIRE(bad);
  CHECK(bad->status == UploadStatus::kInvalid);
  CHECK(bad->line == 1);
  CHECK(bad->error.find("malformed JSON") != std::string::npos);
  for (const char* text : {R"({"infno":"3503"})", R"({"msgid":7})", R"({"msgid":""})", "[1]"}) {
    auto r = add(2, text);
    REQUIRE(r);
    CHECK(r->status == UploadStatus::kInvalid);
    CHECK(r->error == "no msgid");
  }
  CHECK_FALSE(add(3, Message("A")));
  auto same = add(4, Message("A"));  // the same message again: not an error
  REQUIRE(same);
  CHECK(same->status == UploadStatus::kDuplicate);
  CHECK(same->error.find("line 3") != std::string::npos);
  auto other = add(5, Message("A", R"(,"opter":"x")"));
  REQUIRE(other);
  CHECK(other->status == UploadStatus::kInvalid);
  CHECK(other->error.find("line 3") != std::string::npos);
  auto results = Drain(*client);
  REQUIRE(results.size() == 1);
  CHECK(results[0].line == 3);
  CHECK(server.received() == std::vector<std::string>{"A"});
}

TEST_CASE("upload: a spool resumes after a crash and sends nothing twice", "[upload]") {
  testsupport::TempDir dir;
  ScriptedServer server;
  const auto o = Options(server.url(), dir.file("spool"));
  {
    auto first = Open(o);
    AddQueued(*first, 1, 10);
    for (int i = 0; i < 5; ++i) CHECK(Next(*first).accepted());
    // Two clients never share a spool.
    auto second = UploadClient::Open(o);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().message().find("in use") != std::string::npos);
  }  // "crash": gone with 5 messages spooled and unanswered
  {
    auto resumed = Open(o);  // no input at all: drains what the spool holds
    CHECK(resumed->queued() == 5);
    auto results = Drain(*resumed);
    REQUIRE(results.size() == 5);
    CHECK(results[0].msgid == "M6");
    CHECK(results[0].line == 6);
    CHECK(results[0].source == "in.ndjson");
  }
  // A later run with the same input and more: the old lines come back from the spool.
  auto later = Open(o);
  for (int i = 1; i <= 12; ++i) {
    auto r = later->Add("in.ndjson", static_cast<std::size_t>(i), Message(MsgId(i)));
    REQUIRE(r.ok());
    if (i <= 10) {
      REQUIRE(*r);
      CHECK((*r)->from_spool);
      CHECK((*r)->accepted());
      CHECK((*r)->line == static_cast<std::size_t>(i));
    } else {
      CHECK_FALSE(*r);
    }
  }
  auto conflict = later->Add("in.ndjson", 13, Message("M2", R"(,"opter":"x")"));
  REQUIRE(conflict.ok());
  REQUIRE(*conflict);
  CHECK((*conflict)->status == UploadStatus::kInvalid);
  CHECK(Drain(*later).size() == 2);
  CHECK(server.received().size() == 12);
  for (int i = 1; i <= 12; ++i) CHECK(server.Count(MsgId(i)) == 1);
}

TEST_CASE("upload: a spool write cut short by a crash is dropped, the rest is kept", "[upload]") {
  testsupport::TempDir dir;
  ScriptedServer server;
  const auto o = Options(server.url(), dir.file("spool"));
  {
    auto c = Open(o);
    AddQueued(*c, 1, 3);
    CHECK(Drain(*c).size() == 3);
  }
  const std::string outcomes = dir.file("spool/outcomes.ndjson");
  const std::string messages = dir.file("spool/messages.ndjson");
  // Cut the last outcome in half, and leave half a message record behind.
  std::string text = testsupport::ReadFile(outcomes);
  testsupport::WriteFile(outcomes, text.substr(0, text.size() - 10));
  { std::ofstream(messages, std::ios::app) << R"({"seq":4,"msgid":"M4","bo)"; }
  {
    auto c = Open(o);
    CHECK(c->queued() == 1);  // M3 lost its answer: sent again, the daemon would replay it
    AddQueued(*c, 4, 4);
    auto results = Drain(*c);
    REQUIRE(results.size() == 2);
    CHECK(results[0].msgid == "M3");
    CHECK(results[1].msgid == "M4");
  }
  CHECK(server.Count("M3") == 2);
  CHECK(server.Count("M4") == 1);
  // Damage anywhere but at the end is not a crash: refuse to guess.
  text = testsupport::ReadFile(messages);
  text[text.find("\"seq\":2")] = '#';
  testsupport::WriteFile(messages, text);
  auto damaged = UploadClient::Open(o);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.status().code() == ledger::Code::kCorruption);
}

TEST_CASE("upload: bad server URLs are refused before anything is sent", "[upload]") {
  for (const char* url : {"ftp://x", "http://", "http://h:0", "http://h:99999", "http://u@h",
                          "http://h/p?q", "http://[::1"}) {
    auto c = UploadClient::Open(Options(url));
    INFO(url);
    CHECK_FALSE(c.ok());
  }
  CHECK(UploadClient::Open(Options("https://[::1]:8440/prefix/")).ok());
}

namespace {

class OkHandler : public ingest::Handler {
 public:
  void Handle(ingest::HttpRequest request, ingest::Responder respond) override {
    ingest::HttpResponse r;
    r.body = request.target == "/v1/upload" ? R"({"infcode":0,"output":{"rows":[]}})" : "{}";
    r.status = request.target == "/v1/upload" ? 200 : 404;
    respond(std::move(r));
  }
};

}  // namespace

TEST_CASE("upload: HTTPS checks the server's certificate and name", "[upload]") {
  testsupport::TempDir dir;
  const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
  const auto made =
      testsupport::Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ed25519", "-keyout", key,
                        "-out", cert, "-days", "1", "-nodes", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  OkHandler handler;
  ingest::ServerOptions so;
  so.tls_cert_file = cert;
  so.tls_key_file = key;
  std::string error;
  auto server = ingest::HttpServer::Create(so, handler, error);
  REQUIRE(server);
  server->Start();
  const std::string port = std::to_string(server->port());

  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto o = Options("https://" + host + ":" + port);
    o.ca_file = cert;
    auto client = Open(o);
    AddQueued(*client, 1, 3);
    for (const auto& r : Drain(*client)) CHECK(r.accepted());
    CHECK(client->stats().connections == 1);
  }
  // The system's trust store does not know this certificate: no retry can fix that.
  auto untrusted = Open(Options("https://127.0.0.1:" + port));
  AddQueued(*untrusted, 1, 2);
  auto results = Drain(*untrusted);
  CHECK(results[0].status == UploadStatus::kUnsent);
  CHECK(results[0].error.find("certificate") != std::string::npos);
  CHECK(untrusted->stopped());
  CHECK(untrusted->stats().retries == 0);
  // Trusted certificate, wrong name.
  const std::string other = dir.file("other.pem"), other_key = dir.file("other.key");
  REQUIRE(testsupport::Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ed25519", "-keyout",
                            other_key, "-out", other, "-days", "1", "-nodes", "-subj",
                            "/CN=elsewhere.example"})
              .exit_code == 0);
  server->Stop(1s);
  so.tls_cert_file = other;
  so.tls_key_file = other_key;
  server = ingest::HttpServer::Create(so, handler, error);
  REQUIRE(server);
  server->Start();
  auto o = Options("https://127.0.0.1:" + std::to_string(server->port()));
  o.ca_file = other;
  auto misnamed = Open(o);
  AddQueued(*misnamed, 1, 1);
  const auto r = Next(*misnamed);
  CHECK(r.status == UploadStatus::kUnsent);
  CHECK(r.error.find("mismatch") != std::string::npos);
  server->Stop(1s);
}
