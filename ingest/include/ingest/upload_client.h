// `drugtrace upload`: a terminal's client for POST /v1/upload. It sends messages one at a time, in
// order, over one kept-alive HTTP or HTTPS connection; transient failures (connection errors,
// timeouts, 5xx, 503 with Retry-After) are retried with capped exponential backoff and jitter. With
// a spool directory it is durable: a message is on disk before it is sent and its answer is on disk
// before the next one goes, so a client that was killed resumes where it stopped, and the daemon's
// idempotency by msgid makes the one message that may be sent twice count once (docs/upload.md).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace ingest {

struct UploadOptions {
  // Base URL of the daemon: "http://host[:port]" or "https://host[:port]", optionally with a path
  // prefix for a reverse proxy. Messages go to <server>/v1/upload.
  std::string server;
  std::string token;  // a terminal's bearer token
  // HTTPS: trust the PEM certificates in this file instead of the system's trust store.
  std::string ca_file;
  // Empty: no spool; messages live in memory for this run only.
  std::string spool_dir;
  std::chrono::milliseconds connect_timeout{10000};  // TCP connect, then the TLS handshake
  std::chrono::milliseconds request_timeout{60000};  // write one request and read its response
  std::chrono::milliseconds initial_backoff{250};    // first retry delay, before jitter
  std::chrono::milliseconds max_backoff{30000};      // the delay doubles up to this
  // Stop the run when a message has found no definitive answer for this long; the messages after it
  // stay unsent (and spooled). nullopt: 24 hours with a spool, 60 seconds without.
  std::optional<std::chrono::milliseconds> give_up_after;
  // Called before each wait with one line: what failed and when the next try is.
  std::function<void(const std::string&)> on_retry;
};

// What became of one input message.
enum class UploadStatus {
  kAnswered,   // a definitive answer: 200, or a permanent 4xx (see http_status)
  kInvalid,    // never sent: malformed JSON, no msgid, or a msgid already used by another message
  kDuplicate,  // not sent again: the same message came earlier in this input
  kUnsent,     // no definitive answer: the run stopped first (it stays in the spool, if any)
};

struct UploadResult {
  UploadStatus status = UploadStatus::kUnsent;
  std::string source;    // the input it came from, as given to Add
  std::size_t line = 0;  // 1-based line in that input
  std::string msgid;     // empty when the line had none
  int http_status = 0;   // kAnswered; also kUnsent when the answer stopped the run (401, 404, ...)
  std::string response;  // the server's body, as received
  std::string error;     // why, for everything but kAnswered
  bool from_spool = false;  // answered in an earlier run and read back from the spool

  bool accepted() const { return status == UploadStatus::kAnswered && http_status == 200; }
};

// Counters for the summary line and for tests.
struct UploadStats {
  std::size_t requests = 0;     // HTTP requests written
  std::size_t connections = 0;  // connections established (keep-alive reuses one)
  std::size_t retries = 0;      // waits before a retry
};

class UploadClient {
 public:
  // Parses the URL, loads the trust store, and creates, locks and reads back the spool (only one
  // client may use a spool at a time). Does not connect yet.
  static ledger::Result<std::unique_ptr<UploadClient>> Open(const UploadOptions& options);
  ~UploadClient();
  UploadClient(const UploadClient&) = delete;
  UploadClient& operator=(const UploadClient&) = delete;

  // Takes one input line. Returns its result at once when it will not be sent (invalid, duplicate,
  // or answered in an earlier run), or nullopt when it was queued (and appended to the spool): its
  // result comes from SendNext. Errors only when the spool cannot be written.
  ledger::Result<std::optional<UploadResult>> Add(std::string_view source, std::size_t line,
                                                  std::string_view text);

  // Makes every message queued so far durable in the spool (fsync). SendNext does this too.
  ledger::Status Flush();

  // Sends the oldest queued message, spooled by this run or an earlier one, until it gets a
  // definitive answer, and records that answer in the spool. nullopt when nothing is queued. When
  // the run must stop (it gave up; 401, 404 or an untrusted certificate, which no retry can fix),
  // the message comes back kUnsent with the reason, stopped() turns true, and later calls return
  // the remaining messages as kUnsent without sending them. Errors only when the spool cannot be
  // written.
  ledger::Result<std::optional<UploadResult>> SendNext();

  std::size_t queued() const;  // messages SendNext has still to return
  bool stopped() const;
  const UploadStats& stats() const;

 private:
  struct Impl;
  explicit UploadClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ingest
