// Suspect cases (issue #5 part 2, docs/suspects.md): the validator's findings grouped into leads a
// regulator can send inspectors to — per pack chain, per institution, per patient — ranked by the
// fund amount at risk, each with its evidence entries, plus the status workflow whose every step is
// a ledger entry.
//
// Cases are derived on demand from row_facts and the evidence entries; only the actions are
// stored. A case id is a function of (type, grouping key, month), so the same case found again
// keeps its status.
//
// Threads: every function takes the Ledger it reads (a read-only Ledger is enough) and uses only
// it. RecordCaseAction writes: call it where the ledger's writer lives (the daemon's writer
// thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/case_store.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "validator/date.h"

namespace ingest {

// Persisted in case ids and case_action entries by name; never rename.
enum class CaseType {
  kPackChain,        // "pack_chain": one box sold, taken in or sold again after it was dispensed
  kCollector,        // "collector": an institution receiving boxes already dispensed elsewhere
  kResale,           // "resale": an institution selling boxes already dispensed elsewhere
  kCodeReuse,        // "code_reuse": an institution reusing codes of boxes it already sold
  kSplitOver,        // "split_over": split sales beyond a pack's content at one institution
  kProductSwap,      // "product_swap": 串换, codes of one drug billed as another
  kReturnAnomaly,    // "return_anomaly": sale returns of packs not sold there
  kPatientReturned,  // "patient_returned": a patient whose insured boxes came back into the chain
  kPatientOverbuy,   // "patient_overbuy": one patient buying one drug at several institutions
};
inline constexpr int kCaseTypeCount = 9;
const char* CaseTypeName(CaseType type);
std::optional<CaseType> CaseTypeFromName(std::string_view name);

// Persisted by name; never rename.
enum class CaseStatus { kOpen, kInvestigating, kConfirmed, kDismissed };
const char* CaseStatusName(CaseStatus status);
std::optional<CaseStatus> CaseStatusFromName(std::string_view name);

// One ledger entry that supports a case.
struct Evidence {
  std::uint64_t entry = 0;
  std::string role;  // "flagged" (a row with the finding), "prior_sale" (the earlier sale a
                     // finding points to), "history" (another event of the pack)
  std::string institution;
  int infno = 0;
  std::string time;  // business time, "yyyy-MM-dd HH:mm:ss"
  int settle = 0;    // 1 insured, 2 self-pay, 0 unknown
  std::string verdict;
  std::string drug;
  std::int64_t amount_fen = 0;   // the row's whole amount
  std::int64_t at_risk_fen = 0;  // the part counted in the case's amount at risk
  std::string rules;             // the row's findings, comma-separated
};

struct CaseAction {
  std::uint64_t entry = 0;
  std::string action;  // investigate, confirm, dismiss, annotate, assign
  std::string status_before, status_after;
  std::string actor, reason, assignee;
  std::int64_t recovered_fen = 0;
  std::int64_t at_ms = 0;
};

struct Case {
  std::string id;  // "<type>-<YYYYMM>-<12 hex>"
  CaseType type = CaseType::kPackChain;
  std::string key;  // pack identity, institution code, psn_hash or psn_hash|drug
  int month = 0;    // YYYYMM of the flagged rows
  CaseStatus status = CaseStatus::kOpen;
  std::string assignee;
  std::int64_t recovered_fen = 0;
  std::int64_t amount_at_risk_fen = 0;    // ranking key (docs/suspects.md)
  std::int64_t amount_paid_fen = 0;       // the part the fund actually paid (verdict not block)
  int packs = 0;                          // distinct packs implicated (rows, for row-level cases)
  std::vector<std::string> institutions;  // the case's own institution first
  std::vector<std::string> institution_names;  // parallel; "" when not in the reference data
  std::vector<Evidence> evidence;              // by entry
  std::string summary_zh, summary_en;
  std::vector<CaseAction> history;  // filled by ShowCase
};

struct SuspectQuery {
  // Business dates, inclusive. Both unset: the latest month with uploads. One unset: a clear error.
  std::optional<validator::Date> from, to;
  std::string region;  // admdvs; "130800" covers 1308xx, "130000" covers 13xxxx; "" = all
  std::optional<CaseType> type;
  std::optional<CaseStatus> status;
  std::size_t limit = 0;  // 0 = all
  // Patient over-buy: paid insured boxes of one drug bought in one calendar month from at least
  // two institutions, reaching this many.
  std::int64_t overbuy_boxes_per_month = 10;
  // When set (the caller owns an IngestStore: the daemon's writer, a CLI), pack-chain cases also
  // list every other event of the pack as "history" evidence (not counted in amounts).
  std::function<ledger::Result<std::vector<std::uint64_t>>(std::string_view identity)> pack_history;
};

// Cases in the query, ranked by amount at risk (then packs, then id), with their statuses.
// Errors: kInvalidArgument for a bad query (naming the field); ledger errors as they come.
ledger::Result<std::vector<Case>> BuildCases(ledger::Ledger& ledger, const SuspectQuery& query);
// The same cases one at a time, in rank order: each Case (with its evidence) is made just before
// `fn` gets it, so memory stays at the compact building state (about 100 bytes per flagged row and
// per evidence link) however many cases and evidence items the period holds. A non-ok status from
// `fn` stops and is returned. All of it runs in one read snapshot.
ledger::Status ForEachCase(ledger::Ledger& ledger, const SuspectQuery& query,
                           const std::function<ledger::Status(Case&&)>& fn);

// Parses "yyyy-MM-dd" for --from/--to and ?from=: kInvalidArgument naming `what` when malformed.
ledger::Result<validator::Date> ParseQueryDate(std::string_view text, std::string_view what);

// One case by id with its full history (actions, oldest first), rebuilt for the id's month;
// kNotFound naming the id when no such case is found and nothing was ever recorded for it.
ledger::Result<Case> ShowCase(ledger::Ledger& ledger, std::string_view case_id,
                              const SuspectQuery& options = {});

// JSON for the CLI and GET /v1/suspects: {"cases":[...],"from","to","count"}.
std::string CasesJson(const std::vector<Case>& cases, const SuspectQuery& query);
// JSON of one case with its evidence and history (GET /v1/cases/{id}).
std::string CaseJson(const Case& c);
// CSV for on-site checks, one line per case (header first; columns in docs/suspects.md).
std::string CasesCsv(const std::vector<Case>& cases);
// Its header and one case's line (CRLF-terminated), to write cases as ForEachCase gives them.
std::string CasesCsvHeader();
std::string CaseCsvLine(const Case& c);

// An action on a case, as the CLI or POST /v1/cases/{id}/actions gives it.
struct CaseActionRequest {
  std::string case_id;
  std::string action;                         // investigate, confirm, dismiss, annotate, assign
  std::string actor;                          // required
  std::string reason;                         // required for confirm and dismiss
  std::string assignee;                       // required for assign
  std::optional<std::int64_t> recovered_fen;  // confirm, or annotate of a confirmed case
  // A regulator limited to a region acts only on cases in it (else kNotFound, as for ShowCase).
  std::string scope_region;
};

// Parses a recovered amount in yuan ("1234", "1234.5", "1234.56") into fen.
ledger::Result<std::int64_t> ParseYuan(std::string_view text);

// A validated action ready to record: the ledger entry and its index row.
struct PreparedCaseAction {
  ledger::EntryInput entry;
  ledger::CaseActionRecord record;
};

// Validates the request against the case (which must exist) and its current status; refuses
// invalid transitions with kFailedPrecondition saying what is allowed. Reads only.
ledger::Result<PreparedCaseAction> PrepareCaseAction(ledger::Ledger& ledger,
                                                     const CaseActionRequest& request,
                                                     std::int64_t now_ms);
// Records a prepared action (writer only): re-checks under the write lock that the case is still
// in the status the action was prepared from, then appends the entry and its index row atomically.
// Returns the entry index.
ledger::Result<std::uint64_t> RecordCaseAction(ledger::Ledger& writer,
                                               const PreparedCaseAction& prepared);

}  // namespace ingest
