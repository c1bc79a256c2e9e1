// Code histories with inclusion proofs (docs/api.md, "Code history"), and the reader context the
// regulator queries share.
#include <cctype>
#include <cstdio>
#include <string>

#include "ingest/proof_json.h"
#include "ingest/refdata_json.h"
#include "ingest/regulator.h"
#include "validator/code.h"

namespace ingest {

namespace {

using ledger::Result;
using ledger::Status;

const char* EventName(std::string_view infno) {
  if (infno == "3501") return "inventory";
  if (infno == "3502") return "stock_change";
  if (infno == "3503") return "receipt";
  if (infno == "3504") return "purchase_return";
  if (infno == "3505") return "sale";
  if (infno == "3506") return "sale_return";
  if (infno == "3507") return "void";
  return "unknown";
}

std::string TextField(const Json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json InstitutionJson(const validator::RefData& ref, const std::string& code) {
  Json j = {{"code", code}};
  if (const auto* inst = ref.FindInstitution(code)) {
    j["name"] = inst->name;
    j["class"] = validator::InstitutionClassName(inst->institution_class);
    j["region"] = inst->region;
  } else {
    j["name"] = nullptr;
    j["class"] = nullptr;
    j["region"] = nullptr;
  }
  return j;
}

Json DrugJson(const validator::RefData& ref, const std::string& med_list_codg) {
  if (med_list_codg.empty()) return nullptr;
  Json j = {{"med_list_codg", med_list_codg}};
  const auto* drug = ref.FindDrug(med_list_codg);
  j["name"] = drug ? Json(drug->name) : Json(nullptr);
  return j;
}

// Why a scanned string names no pack, in the words of docs/codes.md.
std::string NotAPack(const validator::ParsedCode& c) {
  switch (c.kind) {
    case validator::CodeKind::kProductBarcode:
      return "code is a product barcode (EAN-13), which names a product, not a pack";
    case validator::CodeKind::kMalformed:
      return "code is malformed: " + c.reason + " (at character " + std::to_string(c.position + 1) +
             ")";
    default:
      return "code names a product but has no serial number, so it names no single pack";
  }
}

// One event of the history: what the entry says, and its proof when the checkpoint covers it.
Result<Json> EventJson(ReaderContext& ctx, std::uint64_t index,
                       const std::optional<ledger::SignedCheckpoint>& cp, std::string& region_out) {
  auto entry = ctx.ledger().Get(index);
  if (!entry.ok()) return entry.status();
  std::string error;
  auto doc = ParseJson(entry->bytes, error, {.max_depth = 64});
  if (!doc || !doc->is_object()) {
    return Status::Corruption("entry " + std::to_string(index) + " is not JSON: " + error);
  }
  const Json empty = Json::object();
  const Json& row = doc->contains("row") && (*doc)["row"].is_object() ? (*doc)["row"] : empty;
  const std::string infno = TextField(*doc, "infno");
  const std::string inst = TextField(*doc, "fixmedins_code");
  Json e = {{"ledger_index", index},
            {"entry_type", entry->type},
            {"infno", infno},
            {"event", EventName(infno)}};
  e["institution"] = InstitutionJson(ctx.refdata(), inst);
  region_out = e["institution"]["region"].is_string()
                   ? e["institution"]["region"].get<std::string>()
                   : std::string();
  std::string time = TextField(row, "sel_retn_time");
  if (time.empty()) time = TextField(row, "purc_retn_stoin_time");
  if (time.empty()) time = TextField(row, "inv_time");
  if (time.empty()) time = TextField(row, "inv_chg_time");
  e["time"] = time.empty() ? Json(nullptr) : Json(time);
  e["received_ms"] = doc->value("received_ms", Json(nullptr));
  e["drug"] = DrugJson(ctx.refdata(), TextField(row, "med_list_codg"));
  e["fixmedins_bchno"] = TextField(row, "fixmedins_bchno");
  e["verdict"] = doc->value("verdict", Json(nullptr));
  e["findings"] = doc->value("findings", Json::array());
  e["rule_set"] = doc->value("rule_set", Json(nullptr));
  e["row"] = row;
  e["entry"] = ledger::Base64Encode(ledger::AsBytes(entry->bytes));
  if (cp && index < cp->checkpoint.size) {
    auto path = ctx.ledger().InclusionProof(index, cp->checkpoint.size);
    if (!path.ok()) return path.status();
    e["proof"] = InclusionProofJson(index, cp->checkpoint.size, entry->leaf, *path, entry->bytes);
  } else {
    e["proof"] = nullptr;  // recorded after the latest signed checkpoint
  }
  return e;
}

}  // namespace

bool RegionContains(std::string_view scope, std::string_view region) {
  if (scope.empty()) return true;
  if (region.empty()) return false;
  if (scope.size() == 6 && region.size() == 6) {
    if (scope.ends_with("0000")) return region.substr(0, 2) == scope.substr(0, 2);
    if (scope.ends_with("00")) return region.substr(0, 4) == scope.substr(0, 4);
  }
  return scope == region;
}

std::optional<int> ParseMonth(std::string_view text, std::string& error) {
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
  };
  if (text.size() != 7 || text[4] != '-' || !digits(0, 4) || !digits(5, 2)) {
    error = "month must be YYYY-MM (e.g. 2025-08), got '" + std::string(text.substr(0, 40)) + "'";
    return std::nullopt;
  }
  const int year = std::stoi(std::string(text.substr(0, 4)));
  const int month = std::stoi(std::string(text.substr(5, 2)));
  if (month < 1 || month > 12) {
    error = "month must be 01..12, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (year < 1970) {
    error = "year must be 1970 or later, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  return year * 100 + month;
}

std::string FormatMonth(int yyyymm) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", yyyymm / 100, yyyymm % 100);
  return buf;
}

Result<std::unique_ptr<ReaderContext>> ReaderContext::Open(const std::string& db_path) {
  ledger::OpenOptions open;
  open.read_only = true;
  open.load_signer = false;
  auto l = ledger::Ledger::Open(db_path, open);
  if (!l.ok()) return l.status();
  std::unique_ptr<ReaderContext> ctx(new ReaderContext());
  ctx->owned_ = std::move(*l);
  ctx->ledger_ = ctx->owned_.get();
  auto store = ledger::RegulatorStore::Open(*ctx->ledger_);
  if (!store.ok()) return store.status();
  ctx->store_ = std::move(*store);
  LEDGER_RETURN_IF_ERROR(ctx->Refresh());
  return ctx;
}

Result<std::unique_ptr<ReaderContext>> ReaderContext::Over(ledger::Ledger& ledger) {
  std::unique_ptr<ReaderContext> ctx(new ReaderContext());
  ctx->ledger_ = &ledger;
  auto store = ledger::RegulatorStore::Open(ledger);
  if (!store.ok()) return store.status();
  ctx->store_ = std::move(*store);
  LEDGER_RETURN_IF_ERROR(ctx->Refresh());
  return ctx;
}

Status ReaderContext::Refresh() {
  auto moved = ledger_->Refresh();
  if (!moved.ok()) return moved.status();
  auto latest = store_->LatestRefDataEntry();
  if (!latest.ok()) return latest.status();
  if (!*latest || *latest == refdata_entry_) return Status::Ok();
  auto e = ledger_->Get(**latest);
  if (!e.ok()) return e.status();
  std::string error;
  auto doc = ParseJson(e->bytes, error, {.max_depth = 64});
  auto ref = std::make_shared<validator::RefData>();
  if (!doc || !doc->contains("document") || !LoadRefData((*doc)["document"], *ref, error)) {
    return Status::Corruption("reference data entry " + std::to_string(**latest) +
                              " is unreadable: " + error);
  }
  refdata_ = std::move(ref);
  refdata_entry_ = *latest;
  return Status::Ok();
}

ApiResult CodeHistory(ReaderContext& ctx, std::string_view code, const std::string& scope_region) {
  if (code.empty()) return ApiResult::Error(400, "code: empty");
  if (code.size() > 100) return ApiResult::Error(400, "code: longer than 100 characters");
  const validator::ParsedCode parsed = validator::ParseCode(code);
  if (!parsed.is_pack()) return ApiResult::Error(400, NotAPack(parsed));
  // The pack's events and the checkpoint first, then the ledger head: an event is committed with
  // its entry and a checkpoint covers committed entries, so all of them lie within the refreshed
  // ledger even while the writer appends.
  auto entries = ctx.store().PackHistory(parsed.identity);
  if (!entries.ok()) return ApiResult::Error(503, entries.status().message());
  auto cp = ctx.ledger().LatestCheckpoint();
  if (!cp.ok()) return ApiResult::Error(503, cp.status().message());
  if (auto st = ctx.Refresh(); !st.ok()) return ApiResult::Error(503, st.message());

  Json out = {{"code", std::string(code)},
              {"kind", validator::CodeKindName(parsed.kind)},
              {"identity", parsed.identity},
              {"product", parsed.product}};
  const auto* drug = ctx.refdata().FindDrugByProduct(parsed.product);
  out["product_drug"] = drug ? DrugJson(ctx.refdata(), drug->med_list_codg) : Json(nullptr);
  out["verifier_key"] = ctx.ledger().verifier().ToString();
  if (*cp) {
    out["checkpoint"] = {{"note", (*cp)->note},
                         {"tree_size", (*cp)->checkpoint.size},
                         {"root", ledger::Base64Encode((*cp)->checkpoint.root)}};
  } else {
    out["checkpoint"] = nullptr;
  }
  out["scope_region"] = scope_region;
  Json events = Json::array();
  std::size_t withheld = 0, unproven = 0;
  for (std::uint64_t index : *entries) {
    std::string region;
    auto e = EventJson(ctx, index, *cp, region);
    if (!e.ok()) return ApiResult::Error(503, e.status().message());
    if (!RegionContains(scope_region, region)) {
      ++withheld;
      continue;
    }
    if ((*e)["proof"].is_null()) ++unproven;
    events.push_back(std::move(*e));
  }
  if (withheld > 0 && events.empty()) {
    return ApiResult::Error(
        403, "this pack was never recorded at an institution in region " + scope_region);
  }
  out["events"] = std::move(events);
  out["withheld_events"] = withheld;
  out["unproven_events"] = unproven;
  ApiResult r;
  r.output = std::move(out);
  return r;
}

}  // namespace ingest
