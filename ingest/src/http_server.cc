// The HTTP server: TLS setup, the listener and the network threads. Connections live in
// http_session.cc.
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/string.hpp>
#include <mutex>
#include <thread>

#include "http_session.h"
#include "ingest/http.h"

namespace ingest {

std::optional<std::string> HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (boost::beast::iequals(key, boost::beast::string_view(name.data(), name.size())))
      return value;
  }
  return std::nullopt;
}

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using http_internal::ServerShared;

// Pause before accepting again after an accept error (EMFILE, ENFILE, ENOBUFS, ...), so that a
// server out of descriptors neither spins nor gives up.
constexpr std::chrono::milliseconds kAcceptRetry{100};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, ServerShared& shared)
      : ioc_(ioc),
        shared_(shared),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()) {}

  bool Open(const tcp::endpoint& endpoint, std::string& error) {
    boost::system::error_code ec;
    const std::string where =
        endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    if (acceptor_.open(endpoint.protocol(), ec); ec) {
      error = "open " + where + ": " + ec.message();
      return false;
    }
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (acceptor_.bind(endpoint, ec); ec) {
      error = "bind " + where + ": " + ec.message();
      return false;
    }
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
      error = "listen " + where + ": " + ec.message();
      return false;
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return true;
  }

  std::uint16_t port() const { return port_; }

  void Run() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
  }

  void PostClose() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->CloseNow(); });
  }

  // Only from the acceptor's strand, or when no network thread runs.
  void CloseNow() {
    closed_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  void Accept() {
    if (closed_) return;
    acceptor_.async_accept(
        net::make_strand(ioc_),
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
          self->OnAccept(ec, std::move(socket));
        });
  }

  void OnAccept(boost::system::error_code ec, tcp::socket socket) {
    if (closed_ || shared_.stopping) return;
    if (ec) {
      shared_.log.Once("accept", ec);
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    if (shared_.connections >= shared_.options.max_connections) {
      shared_.log.Once("max_connections", "connection limit reached; closing new connections");
      socket.close(ec);
    } else {
      try {
        http_internal::StartSession(std::move(socket), shared_);
      } catch (const std::exception& e) {  // e.g. SSL_new or an allocation failing
        shared_.log.Once("session", std::string("cannot start a connection: ") + e.what());
      }
    }
    Accept();
  }

  net::io_context& ioc_;
  ServerShared& shared_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::uint16_t port_ = 0;
  bool closed_ = false;
};

bool SetUpTls(const ServerOptions& options, ServerShared& shared, std::string& error) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return true;
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    error = "TLS needs both tls_cert_file and tls_key_file";
    return false;
  }
  auto& ctx = shared.tls.emplace(net::ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_compression);
  boost::system::error_code ec;
  if (ctx.use_certificate_chain_file(options.tls_cert_file, ec); ec) {
    error = "TLS certificate " + options.tls_cert_file + ": " + ec.message();
    return false;
  }
  if (ctx.use_private_key_file(options.tls_key_file, net::ssl::context::pem, ec); ec) {
    error = "TLS key " + options.tls_key_file + ": " + ec.message();
    return false;
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    error = "TLS key " + options.tls_key_file + " does not match the certificate";
    return false;
  }
  return true;
}

class Server final : public HttpServer {
 public:
  Server(const ServerOptions& options, Handler& handler)
      : shared_(options, handler), ioc_(std::max(1, options.threads)) {}

  ~Server() override { Stop(std::chrono::milliseconds(0)); }

  bool Init(std::string& error) {
    if (!SetUpTls(shared_.options, shared_, error)) return false;
    boost::system::error_code ec;
    const auto address = net::ip::make_address(shared_.options.address, ec);
    if (ec) {
      error = "invalid address '" + shared_.options.address + "': " + ec.message();
      return false;
    }
    listener_ = std::make_shared<Listener>(ioc_, shared_);
    return listener_->Open(tcp::endpoint(address, shared_.options.port), error);
  }

  std::uint16_t port() const override { return listener_->port(); }

  void Start() override {
    std::lock_guard lock(mu_);
    if (started_ || stopped_) return;
    started_ = true;
    listener_->Run();
    const int n = std::max(1, shared_.options.threads);
    for (int i = 0; i < n; ++i) threads_.emplace_back([this] { RunNetwork(); });
  }

  void Stop(std::chrono::milliseconds grace) override {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    shared_.stopping = true;
    if (started_) Drain(grace);
    {
      std::lock_guard gate(shared_.gate->mu);  // late Responders become no-ops
      shared_.gate->open = false;
    }
    if (listener_) listener_->CloseNow();
    for (const auto& session : shared_.Sessions()) session->Abandon();
  }

 private:
  void RunNetwork() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        shared_.log.Once("network thread", std::string("network thread: ") + e.what());
      }
    }
  }

  // Stop accepting, let the requests already read be answered, close the rest, join.
  void Drain(std::chrono::milliseconds grace) {
    using Clock = std::chrono::steady_clock;
    constexpr auto kPoll = std::chrono::milliseconds(5);
    listener_->PostClose();
    for (const auto& session : shared_.Sessions()) session->PostStop();
    const auto deadline = Clock::now() + grace;
    while (shared_.in_flight > 0 && Clock::now() < deadline) std::this_thread::sleep_for(kPoll);
    for (const auto& session : shared_.Sessions()) session->PostClose();
    const auto close_deadline = Clock::now() + std::chrono::seconds(1);
    while (shared_.connections > 0 && Clock::now() < close_deadline) {
      std::this_thread::sleep_for(kPoll);
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  ServerShared shared_;  // outlives ioc_, which may still hold connections
  net::io_context ioc_;
  std::shared_ptr<Listener> listener_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<HttpServer> HttpServer::Create(const ServerOptions& options, Handler& handler,
                                               std::string& error) {
  auto server = std::make_unique<Server>(options, handler);
  if (!server->Init(error)) return nullptr;
  return server;
}

}  // namespace ingest
