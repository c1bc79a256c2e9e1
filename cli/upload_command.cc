// `drugtrace upload`: a terminal sends NDJSON messages to `drugtrace serve`, in order, with
// retries, durably when given a spool (docs/upload.md). One JSON line per message on stdout, like
// `ingest`.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.h"
#include "ingest/upload_client.h"

namespace cli {

namespace {

struct UploadArgs {
  std::string server, token, token_file, ca_file, spool, file;
  double give_up_after = -1;  // seconds; negative: the client's default
  double timeout = 60;
  double max_backoff = 30;
  bool quiet = false;
};

struct Tally {
  std::size_t accepted = 0, earlier = 0, rejected = 0, invalid = 0, duplicate = 0, unsent = 0;
};

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

const char* StatusName(ingest::UploadStatus s) {
  switch (s) {
    case ingest::UploadStatus::kAnswered:
      return "answered";
    case ingest::UploadStatus::kInvalid:
      return "invalid";
    case ingest::UploadStatus::kDuplicate:
      return "duplicate";
    case ingest::UploadStatus::kUnsent:
      return "unsent";
  }
  return "unsent";
}

// {"line":N,"msgid":...,"status":200,"response":{...}}; "status" is the HTTP status of a definitive
// answer, or "invalid", "duplicate", "unsent" with an "error" for a message without one.
void Print(const ingest::UploadResult& r, const std::string& input, bool quiet, Tally& tally) {
  const bool answered = r.status == ingest::UploadStatus::kAnswered;
  if (r.accepted()) ++(r.from_spool ? tally.earlier : tally.accepted);
  if (answered && !r.accepted()) ++tally.rejected;
  if (r.status == ingest::UploadStatus::kInvalid) ++tally.invalid;
  if (r.status == ingest::UploadStatus::kDuplicate) ++tally.duplicate;
  if (r.status == ingest::UploadStatus::kUnsent) ++tally.unsent;
  if (quiet) return;
  nlohmann::ordered_json j;
  j["line"] = r.line;
  if (r.source != input) j["file"] = r.source;  // queued by an earlier run from another input
  j["msgid"] = r.msgid.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(r.msgid);
  if (answered) {
    j["status"] = r.http_status;
  } else {
    j["status"] = StatusName(r.status);
    if (r.http_status != 0) j["http_status"] = r.http_status;
    j["error"] = r.error;
  }
  if (!r.response.empty()) {
    auto body = nlohmann::ordered_json::parse(r.response, nullptr, false);
    j["response"] = body.is_discarded() ? nlohmann::ordered_json(r.response) : std::move(body);
  }
  if (r.from_spool) j["from_spool"] = true;
  std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << std::endl;
}

std::optional<std::string> ReadToken(const UploadArgs& a) {
  if (!a.token.empty()) return a.token;
  if (a.token_file.empty()) {
    Fail("upload: give --token, --token-file or DRUGTRACE_TOKEN");
    return std::nullopt;
  }
  auto text = ReadInput(a.token_file);
  if (!text) return std::nullopt;
  const auto end = text->find_first_of("\r\n");
  return text->substr(0, end);
}

int RunUpload(const UploadArgs& a) {
  if (a.file.empty() && a.spool.empty()) {
    return Fail("upload: give an input FILE, or --spool DIR to send what it holds");
  }
  auto token = ReadToken(a);
  if (!token) return kExitFailure;
  ingest::UploadOptions o;
  o.server = a.server;
  o.token = *token;
  o.ca_file = a.ca_file;
  o.spool_dir = a.spool;
  o.request_timeout = Millis(a.timeout);
  o.connect_timeout = std::min(Millis(a.timeout), o.connect_timeout);
  o.max_backoff = Millis(a.max_backoff);
  if (a.give_up_after >= 0) o.give_up_after = Millis(a.give_up_after);
  if (!a.quiet)
    o.on_retry = [](const std::string& note) { std::cerr << "upload: " << note << "\n"; };
  auto client = ingest::UploadClient::Open(o);
  if (!client.ok()) return Fail("upload", client.status());

  Tally tally;
  if (!a.file.empty()) {
    std::ifstream in_file;
    std::istream* in = &std::cin;
    if (a.file != "-") {
      in_file.open(a.file, std::ios::binary);
      if (!in_file) return Fail("upload: cannot read " + a.file + ": " + std::strerror(errno));
      in = &in_file;
    }
    std::string line;
    for (std::size_t line_no = 1; std::getline(*in, line); ++line_no) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      auto settled = (*client)->Add(a.file, line_no, line);
      if (!settled.ok()) return Fail("upload", settled.status());
      if (*settled) Print(**settled, a.file, a.quiet, tally);
    }
    if (in->bad()) return Fail("upload: cannot read " + a.file);
  }
  if (auto st = (*client)->Flush(); !st.ok()) return Fail("upload", st);
  std::string stop_reason;
  while (true) {
    auto sent = (*client)->SendNext();
    if (!sent.ok()) return Fail("upload", sent.status());
    if (!*sent) break;
    if ((*sent)->status == ingest::UploadStatus::kUnsent && stop_reason.empty()) {
      stop_reason = (*sent)->error;
    }
    Print(**sent, a.file, a.quiet, tally);
  }
  const auto& s = (*client)->stats();
  std::cerr << "upload: " << tally.accepted + tally.earlier << " accepted";
  if (tally.earlier != 0) std::cerr << " (" << tally.earlier << " in an earlier run)";
  std::cerr << ", " << tally.rejected << " rejected, " << tally.invalid << " invalid, "
            << tally.duplicate << " duplicate, " << tally.unsent << " unsent; " << s.requests
            << " request(s) over " << s.connections << " connection(s), " << s.retries
            << " retries";
  if (!a.spool.empty() && tally.unsent != 0) std::cerr << "; the unsent stay in " << a.spool;
  std::cerr << "\n";
  if (!stop_reason.empty()) std::cerr << "upload: " << stop_reason << "\n";
  const bool clean = tally.rejected + tally.invalid + tally.unsent == 0;
  return clean ? 0 : kExitFailure;
}

}  // namespace

void RegisterUploadCommand(CLI::App& app, int& exit_code) {
  static UploadArgs a;
  auto* u =
      app.add_subcommand("upload", "Send NDJSON messages to a drugtrace server, with retries");
  u->add_option("--server", a.server, "Server base URL, e.g. https://ledger.example:8440")
      ->required();
  u->add_option("--token", a.token, "Terminal bearer token")->envname("DRUGTRACE_TOKEN");
  u->add_option("--token-file", a.token_file, "Read the token from this file's first line");
  u->add_option("--ca-file", a.ca_file, "Trust these PEM certificates instead of the system's");
  u->add_option("--spool", a.spool,
                "Durable spool directory: resume after a crash, catch up after an outage");
  u->add_option("--give-up-after", a.give_up_after,
                "Stop when a message has had no answer for this many seconds "
                "(default 86400 with --spool, 60 without)")
      ->check(CLI::NonNegativeNumber);
  u->add_option("--timeout", a.timeout, "Seconds to connect, and to send and be answered")
      ->check(CLI::PositiveNumber);
  u->add_option("--max-backoff", a.max_backoff, "Longest wait between retries, in seconds")
      ->check(CLI::PositiveNumber);
  u->add_flag("--quiet", a.quiet, "Print only the summary (stderr)");
  u->add_option("file", a.file, "NDJSON file of upload messages, or -");
  u->callback([&] { exit_code = RunUpload(a); });
}

}  // namespace cli
