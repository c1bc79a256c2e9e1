// The regulators' view (issue #5): code histories with inclusion proofs, coverage reports, region
// scope, and the routes of the regulator HTTP API. Everything here reads the ledger; it runs on the
// daemon's reader thread (ingest/src/regulator_service.cc) or in the CLI, never on a network
// thread. The HTTP API is specified in docs/api.md.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ingest/http.h"
#include "ingest/json.h"
#include "ingest/tokens.h"
#include "ledger/ledger.h"
#include "ledger/regulator_store.h"
#include "validator/refdata.h"

namespace ingest {

// True when admin division `region` lies within `scope` ("" = everywhere). Codes are the 6-digit
// 行政区划代码: a scope ending in "0000" is a province (same first 2 digits), one ending in "00" a
// city (same first 4), anything else only itself.
bool RegionContains(std::string_view scope, std::string_view region);
// "YYYY-MM" -> YYYYMM; nullopt with `error` naming the problem.
std::optional<int> ParseMonth(std::string_view text, std::string& error);
std::string FormatMonth(int yyyymm);  // "2025-08"

struct ApiResult;

// The part of a route that writes the ledger (case actions): run by the daemon's writer thread on
// the write connection, after the route's handler prepared it on the reader thread. It returns
// the final answer; a non-ok Status only for a ledger failure (kBusy: another process appended;
// the writer catches up and runs the step once more).
using WriteStep = std::function<ledger::Result<ApiResult>(ledger::Ledger& writer)>;

// What a regulator query answers: an HTTP status and, for 200, the body (`output`); otherwise the
// error message. The daemon wraps both in the API envelope {infcode, err_msg, output}.
struct ApiResult {
  int status = 200;
  Json output;
  std::string error;
  // Non-JSON answers (CSV, HTML reports): sent as they are with this content type.
  std::string raw;
  std::string raw_content_type;
  // Set by a writing route: the answer is whatever this step returns on the writer thread.
  WriteStep write;

  static ApiResult Error(int status, std::string message) {
    ApiResult r;
    r.status = status;
    r.error = std::move(message);
    return r;
  }
};

// What a query reads: one ledger connection with its regulator store, and the reference data in
// force (reloaded when a newer reference-data entry appears).
class ReaderContext {
 public:
  static ledger::Result<std::unique_ptr<ReaderContext>> Open(const std::string& db_path);
  // Over a Ledger the caller keeps open (tests, the CLI).
  static ledger::Result<std::unique_ptr<ReaderContext>> Over(ledger::Ledger& ledger);

  // Sees what the writer committed since the last call (entries, packs, reference data).
  ledger::Status Refresh();

  ledger::Ledger& ledger() { return *ledger_; }
  ledger::RegulatorStore& store() { return *store_; }
  const validator::RefData& refdata() const { return *refdata_; }

 private:
  ReaderContext() = default;
  std::unique_ptr<ledger::Ledger> owned_;
  ledger::Ledger* ledger_ = nullptr;
  std::unique_ptr<ledger::RegulatorStore> store_;
  std::shared_ptr<const validator::RefData> refdata_ = std::make_shared<validator::RefData>();
  std::optional<std::uint64_t> refdata_entry_;
};

// The history of the pack a scanned code names (any form), every event with its entry bytes and
// an inclusion proof against the latest signed checkpoint. `scope_region` ("" = all) withholds
// events at institutions outside it, and refuses (403) a pack never recorded inside it.
// Malformed code: 400; unknown pack: 200 with no events.
ApiResult CodeHistory(ReaderContext& ctx, std::string_view code, const std::string& scope_region);

// A request to the regulator API, as the router sees it.
struct ApiRequest {
  std::string method;
  std::string path;                          // the path as sent (still percent-encoded), no query
  std::map<std::string, std::string> query;  // decoded query parameters
  std::vector<std::string> params;           // the path's {} segments, decoded
  std::string body;                          // the request body (POST routes)
  Principal who;
};

// One route: METHOD and a path pattern whose "{}" segments match one path segment each.
// `handler` runs on the reader thread with a ReaderContext. A route that writes the ledger (case
// actions) validates on the reader and returns an ApiResult whose `write` step the writer thread
// runs; see docs/api.md "Adding a route".
struct ApiRoute {
  std::string method;
  std::string pattern;
  std::function<ApiResult(const ApiRequest&, ReaderContext&)> handler;
};

class RegulatorApi {
 public:
  // The built-in routes: code history, coverage report, an institution's month.
  RegulatorApi();
  // Adds a route (for the suspect-case routes, which live elsewhere).
  void Add(ApiRoute route);

  // Whether `path` belongs to the regulator API (any method): decides where the daemon sends it.
  bool Owns(std::string_view path) const;
  // Splits the target, matches a route and checks the role: regulators and admins only (403 for
  // terminals), 404 / 405 when nothing matches, 400 for a malformed target. On success returns
  // the route with `out` filled; otherwise the error result.
  std::variant<const ApiRoute*, ApiResult> Match(const HttpRequest& req, const Principal& who,
                                                 ApiRequest& out) const;

  // Envelope and content type of an answer.
  static HttpResponse ToHttp(const ApiResult& r);

 private:
  std::deque<ApiRoute> routes_;  // a deque: queued queries keep pointers to their route
};

// GET /v1/whoami: the token's role, label, id and region, and `verifier_key`, the key the console
// checks checkpoints with (`serve --console-public-key`, by default the log's own).
void AddWhoamiRoute(RegulatorApi& api, std::string verifier_key);

// A ledger entry (type kAudit) recording one regulator query: who, what, when, and the status it
// got. docs/api.md, "Audit".
ledger::EntryInput AuditEntry(const Principal& who, const HttpRequest& req, std::string_view route,
                              int status, std::int64_t now_ms);

}  // namespace ingest
