// NHSA-style 进销存 messages (DOMAIN.md §3, schemas/upload.schema.json) decoded into validator
// rows, and the canonical ledger entry recorded for each row (docs/ingest.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ingest/json.h"
#include "ledger/hash.h"
#include "validator/findings.h"
#include "validator/row.h"

namespace ingest {

struct Envelope {
  std::string infno;  // "3501".."3507"
  std::string msgid;
  std::string fixmedins_code;
  std::string inf_time;
  std::string opter;
  std::string opter_name;
};

struct DecodedMessage {
  Envelope envelope;
  validator::Interface interface = validator::Interface::kSale;
  // CanonicalJson of the message without its row array (the envelope): with canonical_rows, what
  // MessageDigest covers.
  std::string canonical_rest;
  std::vector<Json> raw_rows;  // the rows as received, psn_no replaced by psn_hash
  // CanonicalJson of each raw row, made while admitting (on a network thread) so the ledger writer
  // only splices it into the entry.
  std::vector<std::string> canonical_rows;
  std::vector<validator::Row> rows;
};

// Keyed hash of psn_no: hex HMAC-SHA256 with the ledger's HMAC key.
using PersonHasher = std::function<std::string(std::string_view psn_no)>;

struct DecodeError {
  int http_status = 400;
  std::string path;  // JSON pointer of the offending field
  std::string message;
  std::string ToString() const { return path.empty() ? message : path + ": " + message; }
};

// The name of the row array inside `input` for an interface ("selinfo", "purcinfo", ...).
const char* RowArrayName(validator::Interface infno);

// Decodes a message that already passed schema validation; still checks what a schema cannot
// (dates that exist, decimal precision). `hash_person` replaces psn_no.
bool DecodeMessage(Json message, const PersonHasher& hash_person, DecodedMessage& out,
                   DecodeError& error);

// Decodes one stored row (from a ledger entry) back into a validator row, for voids.
bool DecodeStoredRow(const Json& row, validator::Interface infno, const std::string& institution,
                     validator::Row& out, std::string& error);

// Canonical ledger entry bytes for one judged row.
struct RowEntry {
  const Envelope* envelope = nullptr;
  const std::string* row = nullptr;  // CanonicalJson of the row as received
  std::size_t row_index = 0;
  std::int64_t received_ms = 0;
  validator::Verdict verdict = validator::Verdict::kOk;
  const std::string* findings = nullptr;  // CanonicalJson(FindingsJson(...))
  std::int64_t no_code_draw_milli = 0;
};
std::string EncodeRowEntry(const RowEntry& e);
Json FindingsJson(const std::vector<validator::Finding>& findings);
// CanonicalJson(FindingsJson(findings)), written directly (the writer's hot path).
std::string FindingsText(const std::vector<validator::Finding>& findings);

// Identifies a message's content for idempotency (same msgid + other content = 409): SHA-256 over
// the canonical envelope, the row array's name and each canonical row, separated by 0x1E. Equal
// for any two encodings of the same JSON content.
ledger::Hash MessageDigest(const DecodedMessage& m);

}  // namespace ingest
