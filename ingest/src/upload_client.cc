// The upload client: a URL, a spool (two append-only logs, docs/upload.md §2), a transport (one
// Beast connection, plain or TLS) and the retry loop that ties them together.
//
// The transport is synchronous for its caller but runs Beast's asynchronous operations on a private
// io_context: Beast's stream timeouts only apply to asynchronous operations.
#include "ingest/upload_client.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ingest/json.h"
#include "ledger/hash.h"

namespace ingest {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ledger::Result;
using ledger::Status;
using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr std::string_view kSpoolFormat = "drugtrace-upload-spool 1\n";
constexpr std::size_t kMaxResponseBody = 16 << 20;

// --- URL

struct Url {
  bool tls = false;
  std::string host;         // without brackets
  std::string port;         // decimal
  std::string host_header;  // "host", "host:port", "[::1]:port"
  std::string target;       // "<prefix>/v1/upload"
  bool host_is_ip = false;
};

Result<Url> ParseUrl(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("bad server URL '" + text + "': " + why);
  };
  Url u;
  std::string_view rest = text;
  if (rest.substr(0, 8) == "https://") {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else {
    return bad("expected http:// or https://");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string prefix(slash == std::string_view::npos ? "" : rest.substr(slash));
  if (prefix.find_first_of("?#") != std::string::npos) return bad("no query or fragment allowed");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (authority.find('@') != std::string_view::npos) return bad("no user information allowed");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("junk after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("no host");
  if (port.empty()) {
    u.port = u.tls ? "443" : "80";
  } else {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return bad("bad port");
    }
    u.port = std::string(port);
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(u.host, ec);
  u.host_is_ip = !ec;
  const bool v6 = u.host_is_ip && address.is_v6();
  u.host_header = v6 ? "[" + u.host + "]" : u.host;
  if (!port.empty()) u.host_header += ":" + u.port;
  u.target = prefix + "/v1/upload";
  return u;
}

// --- Files: the one place errno becomes a Status

Status ErrnoStatus(const std::string& what) {
  return Status::IoError(what + ": " + std::strerror(errno));
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

Result<Fd> OpenFile(const std::string& path, int flags) {
  Fd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path);
  return fd;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot write " + path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status SyncFd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return ErrnoStatus("cannot fsync " + path);
  return Status::Ok();
}

Result<std::string> ReadAll(const std::string& path) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read " + path);
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// --- Spool

struct SpoolRecord {
  std::string msgid;
  std::string digest;  // hex SHA-256 of the canonical message
  std::string source;
  std::size_t line = 0;
  std::string body;
  std::optional<int> status;  // the definitive answer, once there is one
  std::string response;
};

// Reads an append-only NDJSON log. A last line that is incomplete or unreadable is the trace of a
// write cut short by a crash: it was never acted on, so it is cut off. Any other bad line is
// damage.
Result<std::vector<Json>> ReadLog(const std::string& path) {
  std::vector<Json> records;
  if (!Exists(path)) return records;
  auto text = ReadAll(path);
  if (!text.ok()) return text.status();
  std::size_t pos = 0, good_end = 0, line_no = 0;
  while (pos < text->size()) {
    const std::size_t nl = text->find('\n', pos);
    ++line_no;
    Json j =
        nl == std::string::npos ? Json() : Json::parse(text->substr(pos, nl - pos), nullptr, false);
    const bool last = nl == std::string::npos || nl + 1 == text->size();
    if (nl == std::string::npos || !j.is_object()) {
      if (!last)
        return Status::Corruption(path + " line " + std::to_string(line_no) + " is damaged");
      break;
    }
    records.push_back(std::move(j));
    pos = good_end = nl + 1;
  }
  if (good_end != text->size()) {
    auto fd = OpenFile(path, O_WRONLY);
    if (!fd.ok()) return fd.status();
    if (::ftruncate(fd->get(), static_cast<off_t>(good_end)) != 0) {
      return ErrnoStatus("cannot truncate " + path);
    }
    LEDGER_RETURN_IF_ERROR(SyncFd(fd->get(), path));
  }
  return records;
}

// docs/upload.md §2. Held open and locked (flock) for the client's lifetime.
class Spool {
 public:
  static Result<std::unique_ptr<Spool>> Open(const std::string& dir,
                                             std::vector<SpoolRecord>& records) {
    auto s = std::unique_ptr<Spool>(new Spool(dir));
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("cannot create spool " + dir);
    }
    auto lock = OpenFile(s->Path("lock"), O_RDWR | O_CREAT);
    if (!lock.ok()) return lock.status();
    if (::flock(lock->get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::FailedPrecondition("spool " + dir + " is in use by another upload");
      }
      return ErrnoStatus("cannot lock spool " + dir);
    }
    s->lock_ = std::move(*lock);
    LEDGER_RETURN_IF_ERROR(s->CheckFormat());
    LEDGER_RETURN_IF_ERROR(s->Load(records));
    auto messages = OpenFile(s->Path("messages.ndjson"), O_WRONLY | O_APPEND | O_CREAT);
    if (!messages.ok()) return messages.status();
    auto outcomes = OpenFile(s->Path("outcomes.ndjson"), O_WRONLY | O_APPEND | O_CREAT);
    if (!outcomes.ok()) return outcomes.status();
    s->messages_ = std::move(*messages);
    s->outcomes_ = std::move(*outcomes);
    LEDGER_RETURN_IF_ERROR(s->SyncDir());
    return s;
  }

  // Written now, durable after Sync.
  Status AppendMessage(std::size_t seq, const SpoolRecord& r) {
    const Json j = {{"seq", seq},         {"msgid", r.msgid}, {"digest", r.digest},
                    {"source", r.source}, {"line", r.line},   {"body", r.body}};
    dirty_ = true;
    return WriteAll(messages_.get(), Dump(j), Path("messages.ndjson"));
  }

  Status Sync() {
    if (!dirty_) return Status::Ok();
    LEDGER_RETURN_IF_ERROR(SyncFd(messages_.get(), Path("messages.ndjson")));
    dirty_ = false;
    return Status::Ok();
  }

  // Durable on return.
  Status AppendOutcome(std::size_t seq, const std::string& msgid, int status,
                       const std::string& response) {
    const Json j = {{"seq", seq}, {"msgid", msgid}, {"status", status}, {"response", response}};
    LEDGER_RETURN_IF_ERROR(WriteAll(outcomes_.get(), Dump(j), Path("outcomes.ndjson")));
    return SyncFd(outcomes_.get(), Path("outcomes.ndjson"));
  }

 private:
  explicit Spool(std::string dir) : dir_(std::move(dir)) {}
  std::string Path(const char* name) const { return dir_ + "/" + name; }
  static std::string Dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  }

  Status CheckFormat() {
    const std::string path = Path("format");
    if (Exists(path)) {
      auto text = ReadAll(path);
      if (!text.ok()) return text.status();
      if (*text != kSpoolFormat) {
        return Status::FailedPrecondition(path + ": not a spool this version can use");
      }
      return Status::Ok();
    }
    if (Exists(Path("messages.ndjson"))) return Status::Corruption(path + " is missing");
    auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    LEDGER_RETURN_IF_ERROR(WriteAll(fd->get(), kSpoolFormat, path));
    return SyncFd(fd->get(), path);
  }

  Status Load(std::vector<SpoolRecord>& records) {
    const std::string mpath = Path("messages.ndjson");
    auto messages = ReadLog(mpath);
    if (!messages.ok()) return messages.status();
    for (const Json& j : *messages) {
      const auto seq = j.value("seq", std::size_t{0});
      if (seq != records.size() + 1 || !j.value("body", Json()).is_string() ||
          !j.value("msgid", Json()).is_string()) {
        return Status::Corruption(mpath + ": bad record " + std::to_string(records.size() + 1));
      }
      SpoolRecord r;
      r.msgid = j["msgid"].get<std::string>();
      r.digest = j.value("digest", "");
      r.source = j.value("source", "");
      r.line = j.value("line", std::size_t{0});
      r.body = j["body"].get<std::string>();
      records.push_back(std::move(r));
    }
    const std::string opath = Path("outcomes.ndjson");
    auto outcomes = ReadLog(opath);
    if (!outcomes.ok()) return outcomes.status();
    for (const Json& j : *outcomes) {
      const auto seq = j.value("seq", std::size_t{0});
      if (seq == 0 || seq > records.size() || !j.value("status", Json()).is_number_integer() ||
          j.value("msgid", "") != records[seq - 1].msgid) {
        return Status::Corruption(opath + ": outcome for unknown message " + std::to_string(seq));
      }
      records[seq - 1].status = j["status"].get<int>();
      records[seq - 1].response = j.value("response", "");
    }
    return Status::Ok();
  }

  Status SyncDir() {
    auto fd = OpenFile(dir_, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.status();
    return SyncFd(fd->get(), dir_);
  }

  std::string dir_;
  Fd lock_, messages_, outcomes_;
  bool dirty_ = false;
};

// --- Transport

struct Attempt {
  enum class Kind { kResponse, kFailed, kFatal } kind = Kind::kFailed;
  int status = 0;
  std::string body;
  std::optional<Millis> retry_after;
  std::string error;
  bool retry_at_once = false;  // a kept-alive connection was found dead before any answer
};

// Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
std::optional<Millis> ParseRetryAfter(std::string_view v) {
  if (!v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string_view::npos) {
    return Millis(std::stoll(std::string(v)) * 1000);
  }
  std::tm tm{};
  const std::string s(v);
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
  const auto wait = std::chrono::duration_cast<Millis>(at - std::chrono::system_clock::now());
  return std::max(wait, Millis(0));
}

class Transport {
 public:
  Transport(Url url, const UploadOptions& options, UploadStats& stats)
      : url_(std::move(url)), options_(options), stats_(stats), ctx_(ssl::context::tls_client) {}

  Status Init() {
    if (!url_.tls) return Status::Ok();
    boost::system::error_code ec;
    ctx_.set_verify_mode(ssl::verify_peer);
    if (options_.ca_file.empty()) {
      ctx_.set_default_verify_paths(ec);
    } else {
      ctx_.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return Status::InvalidArgument("cannot load trusted certificates" +
                                     (options_.ca_file.empty() ? "" : " from " + options_.ca_file) +
                                     ": " + ec.message());
    }
    return Status::Ok();
  }

  Attempt Post(const std::string& body) {
    const bool reused = plain_ || tls_;
    Attempt a = PostOnce(body);
    if (reused && a.retry_at_once) a = PostOnce(body);
    return a;
  }

 private:
  // Runs one asynchronous operation to completion.
  template <typename Initiate>
  beast::error_code Run(Initiate&& initiate) {
    beast::error_code result = net::error::would_block;
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  std::string Where() const { return url_.host_header; }

  void Close() {
    plain_.reset();
    tls_.reset();
    buffer_.clear();
  }

  Attempt Failed(const std::string& what, const beast::error_code& ec, bool retry_at_once = false) {
    Close();
    Attempt a;
    a.error = what + " " + Where() + ": " + ec.message();
    a.retry_at_once = retry_at_once;
    return a;
  }

  std::optional<Attempt> Connect() {
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return Failed("resolve", ec);
    if (!url_.tls) {
      plain_.emplace(ioc_);
      plain_->expires_after(options_.connect_timeout);
      ec = Run([&](auto handler) { plain_->async_connect(endpoints, handler); });
      if (ec) return Failed("connect", ec);
      ++stats_.connections;
      return std::nullopt;
    }
    tls_.emplace(ioc_, ctx_);
    SSL* ssl = tls_->native_handle();
    if (!url_.host_is_ip) SSL_set_tlsext_host_name(ssl, url_.host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (url_.host_is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), 0);
    }
    auto& tcp_layer = beast::get_lowest_layer(*tls_);
    tcp_layer.expires_after(options_.connect_timeout);
    ec = Run([&](auto handler) { tcp_layer.async_connect(endpoints, handler); });
    if (ec) return Failed("connect", ec);
    ec = Run([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) {
      const long verify = SSL_get_verify_result(ssl);
      if (verify != X509_V_OK) {
        Attempt a = Failed("TLS handshake with", ec);
        a.kind = Attempt::Kind::kFatal;
        a.error += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
        return a;
      }
      return Failed("TLS handshake with", ec);
    }
    tcp_layer.expires_never();
    ++stats_.connections;
    return std::nullopt;
  }

  Attempt PostOnce(const std::string& body) {
    if (!plain_ && !tls_) {
      if (auto failed = Connect()) return std::move(*failed);
    }
    http::request<http::string_body> req{http::verb::post, url_.target, 11};
    req.set(http::field::host, url_.host_header);
    req.set(http::field::authorization, "Bearer " + options_.token);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "drugtrace-upload");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    ++stats_.requests;
    return tls_ ? Exchange(*tls_, req) : Exchange(*plain_, req);
  }

  template <typename Stream>
  Attempt Exchange(Stream& stream, const http::request<http::string_body>& req) {
    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_after(options_.request_timeout);
    beast::error_code ec = Run([&](auto handler) { http::async_write(stream, req, handler); });
    if (ec) return Failed("send to", ec, ec != beast::error::timeout);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    ec = Run([&](auto handler) { http::async_read(stream, buffer_, parser, handler); });
    if (ec) {
      return Failed("read from", ec, !parser.got_some() && ec != beast::error::timeout);
    }
    tcp_layer.expires_never();
    auto res = parser.release();
    Attempt a;
    a.kind = Attempt::Kind::kResponse;
    a.status = static_cast<int>(res.result_int());
    if (auto it = res.find(http::field::retry_after); it != res.end()) {
      a.retry_after = ParseRetryAfter(std::string_view(it->value().data(), it->value().size()));
    }
    if (!res.keep_alive()) Close();
    a.body = std::move(res.body());
    return a;
  }

  Url url_;
  const UploadOptions& options_;
  UploadStats& stats_;
  net::io_context ioc_;
  ssl::context ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

// --- Answers

enum class Disposition { kDefinitive, kRetry, kStop };

// docs/upload.md §1: 200 and most 4xx are final for the message; 408, 425, 429 and 5xx are worth
// another try; 401, 404, 405 and anything unexpected mean no message of this run can get through.
Disposition Classify(int status) {
  if (status == 200) return Disposition::kDefinitive;
  if (status == 408 || status == 425 || status == 429 || status >= 500) return Disposition::kRetry;
  if (status == 401 || status == 404 || status == 405 || status < 400) return Disposition::kStop;
  return Disposition::kDefinitive;
}

// "HTTP 503: ingest queue is full"
std::string Describe(int status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("err_msg") && j["err_msg"].is_string()) {
    out += ": " + j["err_msg"].get<std::string>();
  }
  return out;
}

// "250 ms", "1.5 s", "86400 s"
std::string Seconds(Millis d) {
  const auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0 || ms >= 10000) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

}  // namespace

// --- The client

struct UploadClient::Impl {
  struct Seen {
    std::string source;
    std::size_t line = 0;
  };

  UploadOptions options;
  UploadStats stats;
  std::unique_ptr<Spool> spool;  // null without --spool
  std::unique_ptr<Transport> transport;
  std::vector<SpoolRecord> records;  // seq = index + 1; in memory only without a spool
  std::unordered_map<std::string, std::size_t> by_msgid;  // into records
  std::unordered_map<std::string, Seen> seen;             // msgids taken from this run's input
  std::deque<std::size_t> queue;                          // records to send, oldest first
  bool stopped = false;
  std::string stop_reason;
  std::mt19937_64 rng{std::random_device{}()};

  UploadResult ResultFor(const SpoolRecord& r) const {
    UploadResult out;
    out.source = r.source;
    out.line = r.line;
    out.msgid = r.msgid;
    return out;
  }

  Millis Backoff(int failures, std::optional<Millis> retry_after) {
    const auto jitter = [this](std::int64_t max_ms) {
      return Millis(
          std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(max_ms, 0))(rng));
    };
    if (retry_after) return *retry_after + jitter(options.initial_backoff.count());
    std::int64_t base = options.initial_backoff.count();
    for (int i = 0; i < failures && base < options.max_backoff.count(); ++i) base *= 2;
    base = std::min(base, options.max_backoff.count());
    return Millis(base / 2) + jitter(base - base / 2);
  }

  Result<std::optional<UploadResult>> Add(std::string_view source, std::size_t line,
                                          std::string_view text);
  Result<std::optional<UploadResult>> SendNext();
};

UploadClient::UploadClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UploadClient::~UploadClient() = default;

Result<std::unique_ptr<UploadClient>> UploadClient::Open(const UploadOptions& options) {
  auto url = ParseUrl(options.server);
  if (!url.ok()) return url.status();
  auto d = std::make_unique<Impl>();
  d->options = options;
  if (!d->options.give_up_after) {
    d->options.give_up_after = options.spool_dir.empty() ? Millis(60000) : Millis(86400000);
  }
  d->transport = std::make_unique<Transport>(std::move(*url), d->options, d->stats);
  LEDGER_RETURN_IF_ERROR(d->transport->Init());
  if (!options.spool_dir.empty()) {
    auto spool = Spool::Open(options.spool_dir, d->records);
    if (!spool.ok()) return spool.status();
    d->spool = std::move(*spool);
  }
  for (std::size_t i = 0; i < d->records.size(); ++i) {
    d->by_msgid.emplace(d->records[i].msgid, i);
    if (!d->records[i].status) d->queue.push_back(i);
  }
  return std::unique_ptr<UploadClient>(new UploadClient(std::move(d)));
}

Result<std::optional<UploadResult>> UploadClient::Add(std::string_view source, std::size_t line,
                                                      std::string_view text) {
  return impl_->Add(source, line, text);
}

Result<std::optional<UploadResult>> UploadClient::Impl::Add(std::string_view source,
                                                            std::size_t line,
                                                            std::string_view text) {
  UploadResult out;
  out.source = std::string(source);
  out.line = line;
  out.status = UploadStatus::kInvalid;
  std::string error;
  auto message = ParseJson(text, error);  // the daemon's parser and limits
  if (!message) {
    out.error = "malformed JSON: " + error;
    return std::optional(out);
  }
  if (!message->is_object() || !message->contains("msgid") || !(*message)["msgid"].is_string() ||
      (*message)["msgid"].get<std::string>().empty()) {
    out.error = "no msgid";
    return std::optional(out);
  }
  out.msgid = (*message)["msgid"].get<std::string>();
  // The daemon's idempotency key: the same msgid with the same canonical message.
  const std::string digest =
      ledger::ToHex(ledger::Sha256(ledger::AsBytes(CanonicalJson(*message))));
  const auto known = by_msgid.find(out.msgid);
  if (auto it = seen.find(out.msgid); it != seen.end()) {
    const bool same = records[known->second].digest == digest;
    out.status = same ? UploadStatus::kDuplicate : UploadStatus::kInvalid;
    out.error = (same ? "the same message as line " : "msgid already used by line ") +
                std::to_string(it->second.line);
    return std::optional(out);
  }
  if (known != by_msgid.end()) {
    SpoolRecord& r = records[known->second];
    if (r.digest != digest) {
      out.error = "msgid already spooled from " + r.source + " line " + std::to_string(r.line) +
                  " for a different message";
      return std::optional(out);
    }
    seen.emplace(out.msgid, Seen{out.source, line});
    if (!r.status) {  // still queued: report it under this line
      r.source = out.source;
      r.line = line;
      return std::optional<UploadResult>();
    }
    out.status = UploadStatus::kAnswered;
    out.http_status = *r.status;
    out.response = r.response;
    out.from_spool = true;
    return std::optional(out);
  }
  SpoolRecord r;
  r.msgid = out.msgid;
  r.digest = digest;
  r.source = out.source;
  r.line = line;
  r.body = std::string(text);
  if (spool) LEDGER_RETURN_IF_ERROR(spool->AppendMessage(records.size() + 1, r));
  seen.emplace(out.msgid, Seen{out.source, line});
  by_msgid.emplace(out.msgid, records.size());
  queue.push_back(records.size());
  records.push_back(std::move(r));
  return std::optional<UploadResult>();
}

Status UploadClient::Flush() {
  return impl_->spool ? impl_->spool->Sync() : Status::Ok();
}

Result<std::optional<UploadResult>> UploadClient::SendNext() {
  return impl_->SendNext();
}

Result<std::optional<UploadResult>> UploadClient::Impl::SendNext() {
  if (queue.empty()) return std::optional<UploadResult>();
  const std::size_t index = queue.front();
  SpoolRecord& r = records[index];
  UploadResult out = ResultFor(r);
  if (stopped) {
    queue.pop_front();
    out.error = stop_reason;
    return std::optional(out);
  }
  if (spool) LEDGER_RETURN_IF_ERROR(spool->Sync());  // on disk before it leaves
  const auto deadline = Clock::now() + *options.give_up_after;
  int failures = 0;
  while (true) {
    Attempt a = transport->Post(r.body);
    std::string problem = a.error;
    if (a.kind == Attempt::Kind::kResponse) {
      const Disposition d = Classify(a.status);
      if (d == Disposition::kDefinitive) {
        if (spool)
          LEDGER_RETURN_IF_ERROR(spool->AppendOutcome(index + 1, r.msgid, a.status, a.body));
        queue.pop_front();
        r.status = a.status;
        r.response = a.body;
        r.body = std::string();
        out.status = UploadStatus::kAnswered;
        out.http_status = a.status;
        out.response = std::move(a.body);
        return std::optional(out);
      }
      problem = Describe(a.status, a.body);
      if (d == Disposition::kStop) {
        out.http_status = a.status;
        out.response = std::move(a.body);
        a.kind = Attempt::Kind::kFatal;
      }
    }
    const auto now = Clock::now();
    if (a.kind == Attempt::Kind::kFatal || now >= deadline) {
      stopped = true;
      stop_reason = a.kind == Attempt::Kind::kFatal
                        ? "stopped at msgid " + r.msgid + ": " + problem
                        : "gave up after " + Seconds(*options.give_up_after) + " at msgid " +
                              r.msgid + ": " + problem;
      queue.pop_front();
      out.error = stop_reason;
      return std::optional(out);
    }
    const Millis wait = std::min(Backoff(failures++, a.retry_after),
                                 std::chrono::duration_cast<Millis>(deadline - now));
    if (options.on_retry) {
      options.on_retry("msgid " + r.msgid + ": " + problem + "; retrying in " + Seconds(wait));
    }
    ++stats.retries;
    std::this_thread::sleep_for(wait);
  }
}

std::size_t UploadClient::queued() const {
  return impl_->queue.size();
}
bool UploadClient::stopped() const {
  return impl_->stopped;
}
const UploadStats& UploadClient::stats() const {
  return impl_->stats;
}

}  // namespace ingest
