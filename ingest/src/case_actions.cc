// The suspect-case workflow: open -> investigating -> confirmed | dismissed, plus annotations and
// assignments; every action is a case_action ledger entry (docs/suspects.md).
#include <algorithm>

#include "ingest/json.h"
#include "ingest/suspects.h"
#include "suspects_internal.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::Status;

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxReason = 4000;

bool IsInstitutionCase(CaseType t) {
  return t != CaseType::kPackChain && t != CaseType::kPatientReturned &&
         t != CaseType::kPatientOverbuy;
}

bool PrintableAscii(std::string_view s) {
  return !s.empty() && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c <= '~'; });
}

CaseAction FromRecord(const ledger::CaseActionRecord& r) {
  return {r.entry,  r.action,   r.status_before, r.status_after, r.actor,
          r.reason, r.assignee, r.recovered_fen, r.at_ms};
}

std::string CurrentStatus(const std::vector<ledger::CaseActionRecord>& actions) {
  return actions.empty() ? std::string(CaseStatusName(CaseStatus::kOpen))
                         : actions.back().status_after;
}

}  // namespace

Result<Case> ShowCase(ledger::Ledger& ledger, std::string_view case_id,
                      const SuspectQuery& options) {
  auto parsed = suspects_internal::ParseCaseId(case_id);
  if (!parsed) {
    return Status::InvalidArgument("case id \"" + std::string(case_id) +
                                   "\" is malformed (expected <type>-<YYYYMM>-<12 hex digits>, "
                                   "e.g. collector-202508-0123456789ab)");
  }
  SuspectQuery q;
  q.from = validator::Date{parsed->month / 100, parsed->month % 100, 1};
  q.to = validator::Date{parsed->month / 100, parsed->month % 100,
                         validator::DaysInMonth(parsed->month / 100, parsed->month % 100)};
  q.type = parsed->type;
  q.region = options.region;
  q.overbuy_boxes_per_month = options.overbuy_boxes_per_month;
  q.pack_history = options.pack_history;
  auto cases = BuildCases(ledger, q);
  if (!cases.ok()) return cases.status();
  auto history = ledger::CaseActions(ledger, case_id);
  if (!history.ok()) return history.status();
  auto it =
      std::find_if(cases->begin(), cases->end(), [&](const Case& c) { return c.id == case_id; });
  Case c;
  if (it != cases->end()) {
    c = std::move(*it);
  } else if (history->empty() || !options.region.empty()) {
    return Status::NotFound("no case " + std::string(case_id) + ": nothing recorded for " +
                            std::to_string(parsed->month) + " groups into it" +
                            (options.region.empty() ? "" : " in region " + options.region));
  } else {
    // Acted on before, but its evidence no longer groups into it (e.g. rows were voided): the
    // history still stands.
    c.id = std::string(case_id);
    c.type = parsed->type;
    c.month = parsed->month;
    c.summary_zh = "该案件的证据已不再构成疑点（例如相关记录已被作废），仅保留处理记录。";
    c.summary_en =
        "The evidence no longer forms this case (e.g. rows were voided); only its "
        "actions remain.";
  }
  c.history.clear();
  c.recovered_fen = 0;
  for (const auto& r : *history) {
    c.history.push_back(FromRecord(r));
    c.recovered_fen += r.recovered_fen;
    if (!r.assignee.empty()) c.assignee = r.assignee;
  }
  if (auto st = CaseStatusFromName(CurrentStatus(*history))) c.status = *st;
  return c;
}

Result<std::int64_t> ParseYuan(std::string_view text) {
  const std::string shown = "recovered amount \"" + std::string(text) + "\"";
  const std::size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const bool digits =
      !whole.empty() && whole.size() <= 13 &&
      std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || (dot != std::string_view::npos && (frac.empty() || frac.size() > 2))) {
    return Status::InvalidArgument(shown +
                                   " is not an amount in yuan (digits, at most 2 decimals, "
                                   "e.g. 1234.50)");
  }
  std::int64_t fen = 0;
  for (char c : whole) fen = fen * 10 + (c - '0');
  fen *= 100;
  if (!frac.empty()) fen += (frac[0] - '0') * 10 + (frac.size() > 1 ? frac[1] - '0' : 0);
  return fen;
}

Result<PreparedCaseAction> PrepareCaseAction(ledger::Ledger& ledger, const CaseActionRequest& req,
                                             std::int64_t now_ms) {
  const std::string& a = req.action;
  if (a != "investigate" && a != "confirm" && a != "dismiss" && a != "annotate" && a != "assign") {
    return Status::InvalidArgument("action \"" + a +
                                   "\" is unknown (investigate, confirm, dismiss, annotate, "
                                   "assign)");
  }
  if (req.actor.empty() || req.actor.size() > kMaxName) {
    return Status::InvalidArgument("actor is required (at most " + std::to_string(kMaxName) +
                                   " bytes): who takes the action");
  }
  if (req.reason.size() > kMaxReason) {
    return Status::InvalidArgument("reason is longer than " + std::to_string(kMaxReason) +
                                   " bytes");
  }
  if (req.assignee.size() > kMaxName) {
    return Status::InvalidArgument("assignee is longer than " + std::to_string(kMaxName) +
                                   " bytes");
  }
  if ((a == "confirm" || a == "dismiss" || a == "annotate") && req.reason.empty()) {
    return Status::InvalidArgument(a + " needs a reason");
  }
  if (a == "assign" && req.assignee.empty()) {
    return Status::InvalidArgument("assign needs an assignee");
  }
  if (a != "assign" && !req.assignee.empty()) {
    return Status::InvalidArgument("an assignee is only given with the assign action");
  }
  if (req.recovered_fen && *req.recovered_fen < 0) {
    return Status::InvalidArgument("recovered amount must not be negative");
  }

  SuspectQuery scope;
  scope.region = req.scope_region;
  auto c = ShowCase(ledger, req.case_id, scope);
  if (!c.ok()) return c.status();
  const CaseStatus now = c->status;
  const std::string now_name = CaseStatusName(now);
  auto refuse = [&](const std::string& allowed) {
    return Status::FailedPrecondition("case " + c->id + " is " + now_name + ": " + a +
                                      " is allowed only " + allowed);
  };
  CaseStatus next = now;
  if (a == "investigate") {
    if (now != CaseStatus::kOpen) return refuse("from open");
    next = CaseStatus::kInvestigating;
  } else if (a == "confirm" || a == "dismiss") {
    if (now != CaseStatus::kInvestigating) return refuse("from investigating");
    next = a == "confirm" ? CaseStatus::kConfirmed : CaseStatus::kDismissed;
  } else if (a == "assign") {
    if (now != CaseStatus::kOpen && now != CaseStatus::kInvestigating) {
      return refuse("while the case is open or investigating");
    }
  }
  if (req.recovered_fen &&
      !(a == "confirm" || (a == "annotate" && now == CaseStatus::kConfirmed))) {
    return Status::FailedPrecondition(
        "case " + c->id + " is " + now_name +
        ": a recovered amount is recorded only with confirm or an annotation of a confirmed case");
  }

  PreparedCaseAction out;
  ledger::CaseActionRecord& r = out.record;
  r.case_id = c->id;
  r.action = a;
  r.status_before = now_name;
  r.status_after = CaseStatusName(next);
  r.actor = req.actor;
  r.reason = req.reason;
  r.assignee = req.assignee;
  r.recovered_fen = req.recovered_fen.value_or(0);
  r.at_ms = now_ms;
  Json evidence = Json::array();
  for (const Evidence& e : c->evidence) evidence.push_back(e.entry);
  const Json entry = {{"kind", "case_action"},
                      {"case_id", r.case_id},
                      {"case_type", CaseTypeName(c->type)},
                      {"case_key", c->key},
                      {"month", c->month},
                      {"action", r.action},
                      {"status_before", r.status_before},
                      {"status_after", r.status_after},
                      {"actor", r.actor},
                      {"reason", r.reason},
                      {"assignee", r.assignee},
                      {"recovered_fen", r.recovered_fen},
                      {"amount_at_risk_fen", c->amount_at_risk_fen},
                      {"evidence", std::move(evidence)},
                      {"at_ms", now_ms}};
  out.entry.type = static_cast<std::uint32_t>(ledger::EntryType::kCaseAction);
  out.entry.event_time_ms = now_ms;
  if (IsInstitutionCase(c->type) && PrintableAscii(c->key)) out.entry.institution = c->key;
  out.entry.bytes = CanonicalJson(entry);
  return out;
}

Result<std::uint64_t> RecordCaseAction(ledger::Ledger& writer, const PreparedCaseAction& p) {
  return ledger::AppendCaseAction(
      writer, p.entry, p.record, [&](const std::vector<ledger::CaseActionRecord>& so_far) {
        const std::string current = CurrentStatus(so_far);
        if (current != p.record.status_before) {
          return Status::FailedPrecondition(
              "case " + p.record.case_id + " is now " + current +
              (so_far.empty()
                   ? std::string()
                   : " (changed by ledger entry " + std::to_string(so_far.back().entry) + ")") +
              ", not " + p.record.status_before + " as when the " + p.record.action +
              " was prepared; look at it again");
        }
        return Status::Ok();
      });
}

}  // namespace ingest
