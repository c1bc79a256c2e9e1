// Bearer tokens: who may upload (terminals, for their own institution), read (regulators, possibly
// limited to a region) and administer. Only a SHA-256 of each token is stored; its public part
// (id, role, institution, region, label) is also recorded in the ledger.
#pragma once

#include <optional>
#include <string>

#include "ledger/ingest_store.h"
#include "ledger/ledger.h"

namespace ingest {

enum class Role { kTerminal, kRegulator, kAdmin };
const char* RoleName(Role role);
std::optional<Role> RoleFromName(std::string_view name);

struct Principal {
  Role role = Role::kTerminal;
  std::string token_id;  // first 8 hex digits of the token's hash, safe to log
  std::string institution;
  std::string region;
  std::string label;  // the administrator's free text, for audit records
};

struct NewToken {
  std::string secret;  // "dt_..." shown once to the administrator
  std::string id;
};

// Creates a token, stores its hash and records its public part in the ledger.
ledger::Result<NewToken> CreateToken(ledger::IngestStore& store, ledger::Ledger& ledger, Role role,
                                     const std::string& institution, const std::string& region,
                                     const std::string& label, std::int64_t now_ms);
// Revokes by id (8 hex digits) and records the revocation in the ledger.
ledger::Status RevokeToken(ledger::IngestStore& store, ledger::Ledger& ledger,
                           const std::string& id, std::int64_t now_ms);
// The principal of an "Authorization: Bearer ..." header value; nullopt for unknown or revoked.
ledger::Result<std::optional<Principal>> Authenticate(ledger::IngestStore& store,
                                                      std::string_view authorization);
std::string TokenId(const ledger::Hash& hash);

}  // namespace ingest
