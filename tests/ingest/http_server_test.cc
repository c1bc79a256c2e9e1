// The HTTP layer over real loopback sockets: round trips, keep-alive, pipelining, limits,
// timeouts (slowloris), many idle connections, draining Stop, late Responders and TLS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ingest/http.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ingest::HttpRequest;
using ingest::HttpResponse;
using ingest::Responder;

// Echoes "/echo..." at once, answers "/delay/<ms>" from another thread, keeps "/hold" for the
// test to answer, never answers "/never", drops "/drop" and throws on "/throw".
class TestHandler : public ingest::Handler {
 public:
  ~TestHandler() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  void Handle(HttpRequest request, Responder respond) override {
    const std::string& target = request.target;
    if (target.rfind("/delay/", 0) == 0) {
      const int ms = std::stoi(target.substr(7));
      std::lock_guard lock(mu_);
      threads_.emplace_back([ms, request = std::move(request), respond = std::move(respond)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        respond(Echo(request));
      });
    } else if (target == "/never") {
      std::lock_guard lock(mu_);
      never_.push_back(std::move(respond));
    } else if (target == "/hold") {
      std::lock_guard lock(mu_);
      held_.push_back(std::move(respond));
      held_requests_.push_back(std::move(request));
      cv_.notify_all();
    } else if (target == "/drop") {
      return;  // the Responder dies here: the server must answer 500
    } else if (target == "/throw") {
      throw std::runtime_error("test handler throws");
    } else {
      respond(Echo(request));
    }
  }

  static HttpResponse Echo(const HttpRequest& r) {
    HttpResponse res;
    res.content_type = "text/plain";
    res.body = r.method + " " + r.target + "\n" + r.body;
    res.headers.emplace_back("X-Test-Seen", r.Header("x-test").value_or("-"));
    res.headers.emplace_back("X-Remote", r.remote);
    return res;
  }

  // Waits until `n` requests are held; false after `timeout`.
  bool WaitHeld(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
  }
  std::size_t HeldCount() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Answers held request `i` with its echo.
  void Answer(std::size_t i) {
    Responder r;
    HttpRequest req;
    {
      std::lock_guard lock(mu_);
      r = held_.at(i);
      req = held_requests_.at(i);
    }
    r(Echo(req));
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::vector<Responder> never_;
  std::vector<Responder> held_;
  std::vector<HttpRequest> held_requests_;
};

ingest::ServerOptions TestOptions() {
  ingest::ServerOptions o;
  o.read_timeout = 2s;
  o.idle_timeout = 5s;
  o.write_timeout = 5s;
  o.default_headers = {{"Server", "drugtrace-test"}, {"X-Content-Type-Options", "nosniff"}};
  return o;
}

// A server started on a free loopback port, stopped at the end of the scope.
struct TestServer {
  explicit TestServer(TestHandler& handler, const ingest::ServerOptions& options = TestOptions()) {
    std::string error;
    server = ingest::HttpServer::Create(options, handler, error);
    INFO(error);
    REQUIRE(server);
    server->Start();
  }
  std::uint16_t port() const { return server->port(); }
  std::unique_ptr<ingest::HttpServer> server;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

int ConnectTo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A blocking loopback client with deadlines on every read.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(ConnectTo(port)) { REQUIRE(fd_ >= 0); }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response, or nullopt if the connection closed or nothing complete came in time.
  // `head`: the answer to a HEAD request, whose Content-Length announces no body.
  std::optional<Response> Read(std::chrono::milliseconds timeout = 5s, bool head = false) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto r = Parse(head)) return r;
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // True when the server closes (FIN or reset) within `timeout`; data received is dropped.
  bool WaitClosed(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    buffer_.clear();
    while (Fill(deadline)) buffer_.clear();
    return closed_;
  }

  // Sends `data` one byte every `pause` until the server closes; true if it closed in time.
  bool Trickle(std::string_view data, std::chrono::milliseconds pause, Clock::duration limit) {
    const auto deadline = Clock::now() + limit;
    for (char c : data) {
      if (!Send(std::string_view(&c, 1))) return true;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(pause.count())) > 0) {
        char tmp[512];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return true;
        buffer_.append(tmp, static_cast<std::size_t>(n));
      }
      if (Clock::now() > deadline) return false;
    }
    return false;
  }

  int fd() const { return fd_; }
  const std::string& pending() const { return buffer_; }

 private:
  // Receives more bytes; false on close, error or deadline.
  bool Fill(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  std::optional<Response> Parse(bool head) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    Response r;
    std::size_t pos = buffer_.find("\r\n");
    const std::string status_line = buffer_.substr(0, pos);
    r.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
    while (pos < end) {
      const std::size_t next = buffer_.find("\r\n", pos + 2);
      const std::string line = buffer_.substr(pos + 2, next - pos - 2);
      const auto colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
      pos = next;
    }
    const std::size_t length =
        !head && r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (buffer_.size() < end + 4 + length) return std::nullopt;
    r.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return r;
  }

  int fd_;
  std::string buffer_;
  bool closed_ = false;
};

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

std::string Post(const std::string& target, const std::string& body,
                 const std::string& extra = "") {
  return "POST " + target +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra + "\r\n" + body;
}

// Raises the soft descriptor limit as far as allowed; returns it.
rlim_t RaiseFdLimit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur;
}

}  // namespace

TEST_CASE("http: GET and POST round trip with default headers", "[http]") {
  TestHandler handler;
  TestServer server(handler);
  Client c(server.port());
  REQUIRE(c.Send(Get("/echo?x=1", "X-TeSt: Hello\r\n")));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "GET /echo?x=1\n");
  CHECK(r->header("x-test-seen") == "Hello");
  CHECK(r->header("x-remote").rfind("127.0.0.1:", 0) == 0);
  CHECK(r->header("content-type") == "text/plain");
  CHECK(r->header("content-length") == std::to_string(r->body.size()));
  CHECK(r->header("server") == "drugtrace-test");
  CHECK(r->header("x-content-type-options") == "nosniff");

  REQUIRE(c.Send(Post("/echo", "{\"a\":1}", "Content-Type: application/json\r\n")));
  r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /echo\n{\"a\":1}");
}

TEST_CASE("http: HttpRequest::Header finds the first header by name", "[http]") {
  HttpRequest r;
  r.headers = {{"content-type", "a"}, {"x-y", "1"}, {"x-y", "2"}};
  CHECK(r.Header("x-y") == "1");
  CHECK(r.Header("content-type") == "a");
  CHECK_FALSE(r.Header("missing"));
}

TEST_CASE("http: keep-alive, Connection: close and HTTP/1.0", "[http]") {
  TestHandler handler;
  TestServer server(handler);

  SECTION("several requests on one connection") {
    Client c(server.port());
    for (int i = 0; i < 5; ++i) {
      REQUIRE(c.Send(Post("/echo/" + std::to_string(i), std::string(100 * i, 'x'))));
      auto r = c.Read();
      REQUIRE(r);
      CHECK(r->body == "POST /echo/" + std::to_string(i) + "\n" + std::string(100 * i, 'x'));
      CHECK(r->header("connection") != "close");
    }
  }
  SECTION("Connection: close is answered, then the connection closes") {
    Client c(server.port());
    REQUIRE(c.Send(Get("/echo", "Connection: close\r\n")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->header("connection") == "close");
    CHECK(c.WaitClosed());
  }
  SECTION("HTTP/1.0 closes unless keep-alive is asked for") {
    Client c(server.port());
    REQUIRE(c.Send("GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->body == "GET /echo\n");
    CHECK(r->header("connection") == "keep-alive");
    REQUIRE(c.Send("GET /echo2 HTTP/1.0\r\n\r\n"));
    r = c.Read();
    REQUIRE(r);
    CHECK(r->body == "GET /echo2\n");
    CHECK(c.WaitClosed());
  }
  SECTION("HEAD gets the headers only") {
    Client c(server.port());
    REQUIRE(c.Send("HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/echo2")));
    auto r = c.Read(5s, /*head=*/true);
    REQUIRE(r);
    CHECK(r->header("content-length") == "11");  // that of the GET answer
    r = c.Read();
    REQUIRE(r);
    CHECK(r->body == "GET /echo2\n");
  }
}

TEST_CASE("http: pipelined requests answered out of order arrive in order", "[http]") {
  TestHandler handler;
  TestServer server(handler);
  Client c(server.port());
  REQUIRE(c.Send(Get("/delay/300") + Get("/delay/1") + Get("/echo") + Post("/delay/100", "b")));
  const char* expected[] = {"GET /delay/300\n", "GET /delay/1\n", "GET /echo\n",
                            "POST /delay/100\nb"};
  for (const char* body : expected) {
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->body == body);
  }
}

TEST_CASE("http: a full pipeline stops reading until answers are written", "[http]") {
  TestHandler handler;
  auto options = TestOptions();
  options.max_pipelined = 2;
  TestServer server(handler, options);
  Client c(server.port());
  std::string all;
  for (int i = 0; i < 5; ++i) all += Get("/hold");
  REQUIRE(c.Send(all));
  REQUIRE(handler.WaitHeld(2));
  std::this_thread::sleep_for(200ms);
  CHECK(handler.HeldCount() == 2);  // back-pressure: the third is not read yet
  for (std::size_t i = 0; i < 5; ++i) {
    REQUIRE(handler.WaitHeld(i + 1));
    handler.Answer(i);
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("http: limits and malformed requests", "[http]") {
  TestHandler handler;
  auto options = TestOptions();
  options.body_limit = 1024;
  options.header_limit = 1024;
  TestServer server(handler, options);
  Client c(server.port());

  SECTION("a body over the limit gets 413 and the connection closes") {
    REQUIRE(c.Send(Post("/echo", std::string(5000, 'x'))));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->header("content-type") == "application/json");
    auto body = nlohmann::json::parse(r->body);
    CHECK(body["infcode"] == -1);
    CHECK(body["err_msg"] == "request body too large");
    CHECK(body.contains("output"));
    CHECK(r->header("connection") == "close");
    CHECK(c.WaitClosed());
  }
  SECTION("a chunked body over the limit gets 413") {
    std::string chunk = std::string(600, 'y');
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
                   chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.WaitClosed());
  }
  SECTION("a body at the limit is fine") {
    REQUIRE(c.Send(Post("/echo", std::string(1024, 'x'))));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("headers over the limit get 431") {
    REQUIRE(c.Send(Get("/echo", "X-Big: " + std::string(2000, 'h') + "\r\n")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 431);
    CHECK(c.WaitClosed());
  }
  SECTION("garbage gets 400") {
    REQUIRE(c.Send("\x01\x02 hello there\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(r->body.find("infcode") != std::string::npos);
    CHECK(c.WaitClosed());
  }
  SECTION("a bad Content-Length gets 400") {
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  SECTION("earlier pipelined requests are answered before the error") {
    REQUIRE(c.Send(Get("/delay/100") + "NOT HTTP AT ALL\r\n\r\n"));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
    r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
}

TEST_CASE("http: Expect: 100-continue", "[http]") {
  TestHandler handler;
  TestServer server(handler);
  Client c(server.port());
  REQUIRE(c.Send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
  auto r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 100);
  REQUIRE(c.Send("abc"));
  r = c.Read();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /echo\nabc");
}

TEST_CASE("http: timeouts cut slow and idle clients off", "[http]") {
  TestHandler handler;
  auto options = TestOptions();
  options.read_timeout = 300ms;
  options.idle_timeout = 300ms;
  TestServer server(handler, options);

  SECTION("slow headers") {
    Client c(server.port());
    const std::string request = Get("/echo", "X-Padding: " + std::string(60, 'p') + "\r\n");
    const auto start = Clock::now();
    CHECK(c.Trickle(request, 100ms, 5s));  // the request needs ~9 s at this pace
    CHECK(Clock::now() - start < 5s);
    CHECK(c.pending().find("200 OK") == std::string::npos);
  }
  SECTION("slow body") {
    Client c(server.port());
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"));
    CHECK(c.Trickle(std::string(100, 'b'), 100ms, 5s));
    CHECK(c.pending().find("200 OK") == std::string::npos);
  }
  SECTION("idle keep-alive connection") {
    Client c(server.port());
    REQUIRE(c.Send(Get("/echo")));
    REQUIRE(c.Read());
    CHECK(c.WaitClosed(5s));
  }
  SECTION("a connection that never sends") {
    Client c(server.port());
    CHECK(c.WaitClosed(5s));
  }
  SECTION("a slow handler is not an idle connection") {
    Client c(server.port());
    REQUIRE(c.Send(Get("/delay/800")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->body == "GET /delay/800\n");
  }
}

TEST_CASE("http: a client that does not read its responses is cut off", "[http]") {
  TestHandler handler;
  auto options = TestOptions();
  options.write_timeout = 300ms;
  TestServer server(handler, options);
  Client c(server.port());
  const int small = 4096;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const timeval send_timeout{1, 0};  // a send blocked by a full window gives up after 1 s
  ::setsockopt(c.fd(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  // Large answers pile up unread until the server's write times out and it closes.
  const std::string big = Post("/echo", std::string(256 << 10, 'z'));
  bool closed = false;
  const auto start = Clock::now();
  while (!closed && Clock::now() - start < 10s) {
    if (!c.Send(big)) closed = errno == EPIPE || errno == ECONNRESET;
  }
  CHECK(closed);
}

TEST_CASE("http: 2000 idle connections do not starve a well-behaved client", "[http]") {
  constexpr int kIdle = 2000;
  if (RaiseFdLimit() < 2 * kIdle + 200) {
    WARN("descriptor limit too low; skipped");
    return;
  }
  TestHandler handler;
  auto options = TestOptions();
  options.idle_timeout = 20s;
  TestServer server(handler, options);
  std::vector<int> idle;
  idle.reserve(kIdle);
  for (int i = 0; i < kIdle; ++i) {
    const int fd = ConnectTo(server.port());
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  const auto start = Clock::now();
  Client c(server.port());
  for (int i = 0; i < 20; ++i) {
    REQUIRE(c.Send(Get("/echo/" + std::to_string(i))));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(Clock::now() - start < 5s);
  for (int fd : idle) ::close(fd);
}

TEST_CASE("http: connections beyond max_connections are closed at once", "[http]") {
  TestHandler handler;
  auto options = TestOptions();
  options.max_connections = 3;
  TestServer server(handler, options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    REQUIRE(clients.back()->Send(Get("/echo")));
    REQUIRE(clients.back()->Read());  // accepted and served
  }
  Client extra(server.port());
  CHECK(extra.WaitClosed(5s));
  clients.clear();
  // Once the others are gone, new connections are served again.
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    Client again(server.port());
    served = again.Send(Get("/echo")) && again.Read(1s).has_value();
    if (!served) std::this_thread::sleep_for(50ms);
  }
  CHECK(served);
}

TEST_CASE("http: accept survives running out of descriptors", "[http]") {
  TestHandler handler;
  std::string error;
  auto server = ingest::HttpServer::Create(TestOptions(), handler, error);
  REQUIRE(server);
  // Connections wait in the listen backlog while the server has no descriptor left to accept.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(std::make_unique<Client>(server->port()));
  rlimit saved{};
  ::getrlimit(RLIMIT_NOFILE, &saved);
  rlimit tight = saved;
  tight.rlim_cur = 3;  // every descriptor above stderr is taken
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
  server->Start();
  std::this_thread::sleep_for(300ms);  // accept fails with EMFILE, is retried later
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
  for (auto& c : clients) {
    REQUIRE(c->Send(Get("/echo")));
    auto r = c->Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("http: Stop drains requests in flight, then refuses connections", "[http]") {
  TestHandler handler;
  TestServer server(handler);
  Client busy(server.port());
  Client idle(server.port());
  REQUIRE(busy.Send(Get("/delay/500")));
  std::this_thread::sleep_for(100ms);  // the request is with the handler
  const auto port = server.port();
  auto stopped = std::async(std::launch::async, [&] { server.server->Stop(5s); });
  auto r = busy.Read();
  REQUIRE(r);
  CHECK(r->body == "GET /delay/500\n");
  CHECK(r->header("connection") == "close");
  CHECK(busy.WaitClosed());
  CHECK(idle.WaitClosed());
  REQUIRE(stopped.wait_for(5s) == std::future_status::ready);
  const int fd = ConnectTo(port);
  CHECK(fd < 0);
  if (fd >= 0) ::close(fd);
}

TEST_CASE("http: Stop gives up on unanswered requests after the grace period", "[http]") {
  TestHandler handler;
  TestServer server(handler);
  Client c(server.port());
  REQUIRE(c.Send(Get("/never")));
  std::this_thread::sleep_for(100ms);
  const auto start = Clock::now();
  server.server->Stop(300ms);
  CHECK(Clock::now() - start < 5s);
  CHECK(c.WaitClosed());
}

TEST_CASE("http: Responder edge cases", "[http]") {
  TestHandler handler;
  TestServer server(handler);

  SECTION("a dropped Responder answers 500") {
    Client c(server.port());
    REQUIRE(c.Send(Get("/drop") + Get("/echo")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 500);
    r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("a handler that throws answers 500") {
    Client c(server.port());
    REQUIRE(c.Send(Get("/throw")));
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->status == 500);
  }
  SECTION("answering after the client left, twice, and after the server is gone") {
    {
      Client c(server.port());
      REQUIRE(c.Send(Get("/hold")));
      REQUIRE(handler.WaitHeld(1));
    }
    std::this_thread::sleep_for(200ms);  // the server has seen the close
    handler.Answer(0);
    handler.Answer(0);
    Client c(server.port());
    REQUIRE(c.Send(Get("/hold")));
    REQUIRE(handler.WaitHeld(2));
    server.server.reset();
    handler.Answer(1);
  }
}

TEST_CASE("http: configuration errors are reported by Create", "[http]") {
  TestHandler handler;
  std::string error;
  auto options = TestOptions();
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  CHECK_FALSE(ingest::HttpServer::Create(options, handler, error));
  CHECK(error.find("cert.pem") != std::string::npos);

  TestServer first(handler);
  options = TestOptions();
  options.port = first.port();
  error.clear();
  CHECK_FALSE(ingest::HttpServer::Create(options, handler, error));
  CHECK(error.find("bind") != std::string::npos);
}

TEST_CASE("http: TLS round trip", "[http]") {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  testsupport::TempDir dir;
  const std::string cert = dir.file("cert.pem");
  const std::string key = dir.file("key.pem");
  const auto made =
      testsupport::Run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ed25519", "-keyout", key,
                        "-out", cert, "-days", "1", "-nodes", "-subj", "/CN=localhost"});
  INFO(made.err);
  REQUIRE(made.exit_code == 0);

  TestHandler handler;
  auto options = TestOptions();
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  TestServer server(handler, options);

  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_peer);
  ctx.load_verify_file(cert);
  net::ssl::stream<net::ip::tcp::socket> stream(ioc, ctx);
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), server.port()});
  // Fail instead of hanging if the server misbehaves.
  std::promise<void> done;
  std::thread watchdog([&, f = done.get_future()]() mutable {
    if (f.wait_for(10s) == std::future_status::timeout) {
      ::shutdown(stream.next_layer().native_handle(), SHUT_RDWR);
    }
  });
  boost::system::error_code ec;
  stream.handshake(net::ssl::stream_base::client, ec);
  CHECK_FALSE(ec);
  boost::beast::flat_buffer buffer;
  for (int i = 0; i < 3 && !ec; ++i) {
    http::request<http::string_body> req{http::verb::post, "/echo/tls", 11};
    req.set(http::field::host, "localhost");
    req.body() = "secret " + std::to_string(i);
    req.prepare_payload();
    http::write(stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(stream, buffer, res, ec);
    CHECK_FALSE(ec);
    CHECK(res.result_int() == 200);
    CHECK(res.body() == "POST /echo/tls\nsecret " + std::to_string(i));
  }
  done.set_value();
  watchdog.join();
  stream.shutdown(ec);  // the server answers close_notify or closes
}
