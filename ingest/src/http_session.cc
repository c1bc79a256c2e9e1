// One HTTP connection: reads requests with a fresh parser each, hands them to the Handler and
// writes the answers back strictly in request order. Plain TCP and TLS share this code through
// the Session template; everything of one connection runs on its strand.
#include "http_session.h"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <deque>
#include <limits>
#include <string_view>
#include <type_traits>

namespace ingest::http_internal {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Duration = std::chrono::steady_clock::duration;

constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kKeptBuffer = 16 << 10;
// A closing connection keeps reading (and discarding) this long after its last response, so the
// client is not sent a reset that would destroy that response in its receive buffer.
constexpr std::chrono::seconds kLinger{2};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

const boost::system::error_category& HttpCategory() {
  return http::make_error_code(http::error::end_of_stream).category();
}

// The peer stopped sending: what was read may still be answered.
bool IsEndOfInput(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::ssl::error::stream_truncated;
}

// Errors a healthy server sees all day; never logged.
bool IsDisconnect(const beast::error_code& ec) {
  return IsEndOfInput(ec) || ec == net::error::connection_reset || ec == net::error::broken_pipe ||
         ec == net::error::operation_aborted || ec == net::error::bad_descriptor ||
         ec == net::error::not_connected || ec == net::error::timed_out;
}

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <class... StreamArgs>
  Session(ServerShared& shared, std::string remote, StreamArgs&&... stream_args)
      : shared_(shared),
        opt_(shared.options),
        stream_(std::forward<StreamArgs>(stream_args)...),
        remote_(std::move(remote)),
        read_timer_(stream_.get_executor()),
        write_timer_(stream_.get_executor()) {
    ++shared_.connections;
  }

  ~Session() override {
    shared_.in_flight -= slots_.size();
    shared_.Unregister(this);
    --shared_.connections;
  }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = Self()] { self->Begin(); });
  }

  void PostResponse(std::uint64_t seq, HttpResponse response) override {
    net::post(stream_.get_executor(), [self = Self(), seq, r = std::move(response)]() mutable {
      self->OnResponse(seq, std::move(r));
    });
  }
  void PostStop() override {
    net::post(stream_.get_executor(), [self = Self()] { self->BeginStop(); });
  }
  void PostClose() override {
    net::post(stream_.get_executor(), [self = Self()] { self->Close(); });
  }
  void Abandon() override { auto keep = std::move(self_keep_); }

 private:
  struct Slot {
    std::uint64_t seq = 0;
    bool ready = false;  // `response` holds the answer
    bool keep_alive = false;
    bool head = false;
    unsigned version = 11;
    http::response<http::string_body> response;
  };

  std::shared_ptr<Session> Self() { return this->shared_from_this(); }
  bool Stopping() const { return shared_.stopping.load(); }

  // --- timers: a read deadline (idle, request, TLS handshake, linger) and a write deadline.
  // Both close the connection when they expire; the generation skips stale expirations.
  void ArmRead(Duration d) { Arm(read_timer_, read_gen_, d); }
  void DisarmRead() {
    ++read_gen_;
    read_timer_.cancel();
  }
  void ArmWrite() { Arm(write_timer_, write_gen_, opt_.write_timeout); }
  void DisarmWrite() {
    ++write_gen_;
    write_timer_.cancel();
  }
  void Arm(net::steady_timer& timer, std::uint64_t& generation, Duration d) {
    const std::uint64_t armed = ++generation;
    timer.expires_after(d);
    timer.async_wait([self = Self(), armed, &generation](beast::error_code ec) {
      if (!ec && armed == generation) self->Close();
    });
  }

  // --- reading
  void Begin() {
    if (Stopping()) return Close();
    if constexpr (kTls) {
      reading_ = true;  // the handshake reads and writes; nothing else runs meanwhile
      ArmRead(opt_.read_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = Self()](beast::error_code ec) { self->OnHandshake(ec); });
    } else {
      ReadNext();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (!AfterRead()) return;
    DisarmRead();
    if (ec) {
      if (!IsDisconnect(ec)) shared_.log.Once("TLS handshake", ec);
      return Close();
    }
    handshake_done_ = true;
    ReadNext();
  }

  // Common start of every read completion: false when the connection is going away.
  bool AfterRead() {
    reading_ = false;
    if (closed_) return false;
    if (closing_) {
      ContinueClose();
      return false;
    }
    return true;
  }

  void ReadNext() {
    if (reading_ || read_done_ || closing_ || closed_ || Stopping()) return;
    if (slots_.size() >= std::max<std::size_t>(1, opt_.max_pipelined)) {
      paused_ = true;  // back-pressure: resumes when a response has been written
      return;
    }
    paused_ = false;
    parser_.emplace();
    parser_->body_limit(opt_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(opt_.header_limit, std::numeric_limits<std::uint32_t>::max())));
    if (buffer_.size() > 0) return ReadHeader();  // the next request is already here
    if (buffer_.capacity() > kKeptBuffer) buffer_.shrink_to_fit();  // idle connections stay small
    // Wait for the first byte: the idle timeout applies only if nothing is being answered.
    reading_ = waiting_first_ = true;
    if (slots_.empty()) {
      ArmRead(opt_.idle_timeout);
    } else {
      DisarmRead();
    }
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = Self()](beast::error_code ec, std::size_t n) {
                              self->waiting_first_ = false;
                              if (!self->AfterRead()) return;
                              if (ec) return self->OnReadError(ec);
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    reading_ = true;
    ArmRead(opt_.read_timeout);  // covers the rest of this request, header and body
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, std::size_t) {
                              if (!self->AfterRead()) return;
                              if (ec) return self->OnReadError(ec);
                              if (self->parser_->is_done()) return self->OnRequest();
                              if (self->WantsContinue()) return self->SendContinue();
                              self->ReadBody();
                            });
  }

  void ReadBody() {
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     [self = Self()](beast::error_code ec, std::size_t) {
                       if (!self->AfterRead()) return;
                       if (ec) return self->OnReadError(ec);
                       self->OnRequest();
                     });
  }

  // "Expect: 100-continue" is honoured when nothing else is being written.
  bool WantsContinue() const {
    const auto& req = parser_->get();
    return req.version() >= 11 && beast::iequals(req[http::field::expect], "100-continue") &&
           slots_.empty() && !writing_;
  }

  void SendContinue() {
    writing_ = true;
    ArmWrite();
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = Self()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       self->DisarmWrite();
                       if (self->closed_) return;
                       if (ec) return self->Close();
                       self->ReadBody();
                     });
  }

  void OnReadError(beast::error_code ec) {
    DisarmRead();
    read_done_ = true;
    if (ec == http::error::body_limit) return QueueError(413, "request body too large");
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return QueueError(431, "request header fields too large");
    }
    if (ec.category() == HttpCategory() && !IsEndOfInput(ec)) {
      shared_.log.Once("malformed request", ec);
      return QueueError(400, "malformed HTTP request");
    }
    if (IsEndOfInput(ec) && (!slots_.empty() || writing_)) return;  // answer, then close
    if (!IsDisconnect(ec)) shared_.log.Once("read", ec);
    Close();
  }

  // A request fully read: give it a slot in the response queue and hand it to the Handler.
  void OnRequest() {
    DisarmRead();
    auto req = parser_->release();
    Slot& slot = NewSlot(req.version());
    slot.keep_alive = req.keep_alive();
    slot.head = req.method() == http::verb::head;
    if (!slot.keep_alive) read_done_ = true;
    if (Stopping()) {
      read_done_ = true;
      Fill(slot, ErrorResponse(503, "server is shutting down"));
      slot.keep_alive = false;
      return MaybeWrite();
    }
    HttpRequest request = Convert(std::move(req));
    Responder respond = MakeResponder(Self(), shared_.gate, slot.seq);
    try {
      shared_.handler.Handle(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      // The Responder went with the exception unless the handler kept it: then it answers 500.
      shared_.log.Once("handler exception", std::string("handler threw: ") + e.what());
    }
    ReadNext();
  }

  HttpRequest Convert(http::request<http::string_body>&& req) const {
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.headers.reserve(std::distance(req.begin(), req.end()));
    for (const auto& field : req) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    r.body = std::move(req.body());
    r.remote = remote_;
    return r;
  }

  Slot& NewSlot(unsigned version) {
    Slot& slot = slots_.emplace_back();
    slot.seq = next_seq_++;
    slot.version = version;
    ++shared_.in_flight;
    if (!self_keep_) self_keep_ = Self();  // alive while the Handler holds unanswered requests
    return slot;
  }

  // An error answer ends the connection once it is written.
  void QueueError(int status, std::string_view message) {
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    Slot& slot = NewSlot(version);
    Fill(slot, ErrorResponse(status, message));
    slot.keep_alive = false;
    MaybeWrite();
  }

  // --- writing
  void OnResponse(std::uint64_t seq, HttpResponse response) {
    if (closing_ || slots_.empty() || seq < slots_.front().seq) return;
    const std::uint64_t index = seq - slots_.front().seq;
    if (index >= slots_.size() || slots_[index].ready) return;
    Fill(slots_[index], std::move(response));
    MaybeWrite();
  }

  void Fill(Slot& slot, HttpResponse r) {
    try {
      Build(slot, std::move(r));
    } catch (const std::exception& e) {  // e.g. a header beyond Beast's limits
      shared_.log.Once("response", std::string("unusable response: ") + e.what());
      Build(slot, ErrorResponse(500, "unusable response"));
    }
    slot.ready = true;
  }

  void Build(Slot& slot, HttpResponse r) {
    auto& res = slot.response;
    res = {};
    res.version(slot.version);
    res.result(r.status >= 200 && r.status <= 599 ? static_cast<unsigned>(r.status) : 500u);
    for (const auto& [name, value] : opt_.default_headers) res.set(name, value);
    for (const auto& [name, value] : r.headers) {
      if (beast::iequals(name, "connection")) {
        if (beast::iequals(value, "close")) slot.keep_alive = false;
      } else if (!beast::iequals(name, "content-length") &&
                 !beast::iequals(name, "transfer-encoding")) {
        res.erase(name);  // the handler's value replaces a default one
      }
    }
    for (const auto& [name, value] : r.headers) {
      if (!beast::iequals(name, "connection") && !beast::iequals(name, "content-length") &&
          !beast::iequals(name, "transfer-encoding")) {
        res.insert(name, value);
      }
    }
    res.set(http::field::content_type, r.content_type);
    res.body() = std::move(r.body);
    res.prepare_payload();
    if (slot.head) res.body().clear();  // Content-Length stays that of the GET answer
  }

  void MaybeWrite() {
    if (writing_ || closing_ || slots_.empty() || !slots_.front().ready) return;
    Slot& slot = slots_.front();
    if (Stopping() && slots_.size() == 1) slot.keep_alive = false;  // the last answer
    slot.response.keep_alive(slot.keep_alive);
    writing_ = true;
    ArmWrite();
    http::async_write(stream_, slot.response,
                      [self = Self()](beast::error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    writing_ = false;
    DisarmWrite();
    const bool keep_alive = slots_.front().keep_alive;
    slots_.pop_front();
    --shared_.in_flight;
    if (closed_) return DropSlots();
    if (ec) {
      if (!IsDisconnect(ec)) shared_.log.Once("write", ec);
      return Close();
    }
    if (!keep_alive) return StartGracefulClose();
    if (slots_.empty()) {
      self_keep_.reset();  // the completion handler still holds us
      if (read_done_ || Stopping()) return StartGracefulClose();
      if (waiting_first_) ArmRead(opt_.idle_timeout);
    }
    if (paused_) ReadNext();
    MaybeWrite();
  }

  // --- closing
  void BeginStop() {
    if (closing_) return;
    if (slots_.empty() && !writing_) Close();  // idle or part-way through a request
    // Otherwise the last answer carries "Connection: close".
  }

  // After the last response: TLS close_notify, then FIN, then discard input for a while.
  void StartGracefulClose() {
    if (closing_) return;
    closing_ = read_done_ = true;
    DropSlots();
    ArmRead(kLinger);  // bounds the whole close
    if (reading_) {
      // Only the read is pending (the write just finished): stop it, its handler continues.
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().cancel(ignored);
      return;
    }
    ContinueClose();
  }

  void ContinueClose() {
    if (closed_) return;
    if constexpr (kTls) {
      if (handshake_done_ && !tls_shutdown_started_) {
        tls_shutdown_started_ = true;
        reading_ = true;
        stream_.async_shutdown([self = Self()](beast::error_code) {
          self->reading_ = false;
          self->ContinueClose();
        });
        return;
      }
    }
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Drain();
  }

  void Drain() {
    buffer_.clear();
    reading_ = true;
    beast::get_lowest_layer(stream_).async_read_some(
        buffer_.prepare(kReadChunk), [self = Self()](beast::error_code ec, std::size_t) {
          self->reading_ = false;
          if (self->closed_) return;
          if (ec) return self->Close();
          self->Drain();
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = closing_ = read_done_ = true;
    DisarmRead();
    DisarmWrite();
    beast::get_lowest_layer(stream_).close();
    DropSlots();
  }

  // Forgets the answers not yet written, except one being written (its write still uses it).
  void DropSlots() {
    const std::size_t keep = writing_ && !slots_.empty() ? 1 : 0;
    shared_.in_flight -= slots_.size() - keep;
    slots_.resize(keep);
    self_keep_.reset();
  }

  ServerShared& shared_;
  const ServerOptions& opt_;
  Stream stream_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  net::steady_timer read_timer_;
  net::steady_timer write_timer_;
  std::uint64_t read_gen_ = 0;
  std::uint64_t write_gen_ = 0;

  std::deque<Slot> slots_;  // requests read, oldest first; answered in this order
  std::uint64_t next_seq_ = 0;
  std::shared_ptr<Session> self_keep_;

  bool reading_ = false;        // a read (or handshake, TLS shutdown) is pending
  bool writing_ = false;        // a write is pending
  bool waiting_first_ = false;  // the pending read waits for a request's first byte
  bool paused_ = false;         // reading stopped: max_pipelined answers pending
  bool read_done_ = false;      // no more requests on this connection
  bool closing_ = false;        // graceful close under way
  bool closed_ = false;         // socket closed
  bool handshake_done_ = false;
  bool tls_shutdown_started_ = false;
};

std::string RemoteOf(const tcp::endpoint& ep) {
  const auto address = ep.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

void StartSession(tcp::socket socket, ServerShared& shared) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::string remote = RemoteOf(endpoint);
  if (shared.tls) {
    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        shared, std::move(remote), std::move(socket), *shared.tls);
    shared.Register(s);
    s->Run();
  } else {
    auto s =
        std::make_shared<Session<beast::tcp_stream>>(shared, std::move(remote), std::move(socket));
    shared.Register(s);
    s->Run();
  }
}

}  // namespace ingest::http_internal
