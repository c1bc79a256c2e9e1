#include "ingest/tokens.h"

#include "ingest/json.h"

namespace ingest {

namespace {

std::string Base64Url(std::string_view raw) {
  std::string b = ledger::Base64Encode(ledger::AsBytes(raw));
  for (char& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

ledger::Status RecordTokenEntry(ledger::IngestStore& store, const ledger::TokenRecord& t,
                                std::int64_t now_ms) {
  Json j = {{"kind", "token"},      {"id", TokenId(t.hash)},
            {"role", t.role},       {"institution", t.institution},
            {"region", t.region},   {"label", t.label},
            {"revoked", t.revoked}, {"at_ms", now_ms}};
  ledger::EntryInput e{static_cast<std::uint32_t>(ledger::EntryType::kRefData), now_ms,
                       t.institution, CanonicalJson(j)};
  auto r = store.Commit(std::span(&e, 1), {});
  return r.ok() ? ledger::Status::Ok() : r.status();
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kTerminal:
      return "terminal";
    case Role::kRegulator:
      return "regulator";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Role> RoleFromName(std::string_view name) {
  if (name == "terminal") return Role::kTerminal;
  if (name == "regulator") return Role::kRegulator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string TokenId(const ledger::Hash& hash) {
  return ledger::ToHex(ledger::Bytes(hash.data(), 4));
}

ledger::Result<NewToken> CreateToken(ledger::IngestStore& store, ledger::Ledger&, Role role,
                                     const std::string& institution, const std::string& region,
                                     const std::string& label, std::int64_t now_ms) {
  if (role == Role::kTerminal && institution.empty()) {
    return ledger::Status::InvalidArgument("a terminal token needs --institution");
  }
  if (role != Role::kTerminal && !institution.empty()) {
    return ledger::Status::InvalidArgument("--institution is only for terminal tokens");
  }
  NewToken out;
  out.secret = "dt_" + Base64Url(ledger::RandomBytes(32));
  ledger::TokenRecord t;
  t.hash = ledger::Sha256(ledger::AsBytes(out.secret));
  t.role = RoleName(role);
  t.institution = institution;
  t.region = region;
  t.label = label;
  t.created_ms = now_ms;
  LEDGER_RETURN_IF_ERROR(store.PutToken(t));
  LEDGER_RETURN_IF_ERROR(RecordTokenEntry(store, t, now_ms));
  out.id = TokenId(t.hash);
  return out;
}

ledger::Status RevokeToken(ledger::IngestStore& store, ledger::Ledger&, const std::string& id,
                           std::int64_t now_ms) {
  auto all = store.Tokens();
  if (!all.ok()) return all.status();
  for (auto& t : *all) {
    if (TokenId(t.hash) != id) continue;
    LEDGER_RETURN_IF_ERROR(store.RevokeToken(t.hash));
    t.revoked = true;
    return RecordTokenEntry(store, t, now_ms);
  }
  return ledger::Status::NotFound("no token with id " + id);
}

ledger::Result<std::optional<Principal>> Authenticate(ledger::IngestStore& store,
                                                      std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return std::optional<Principal>();
  std::string_view secret = authorization.substr(kBearer.size());
  if (secret.size() < 10 || secret.size() > 100) return std::optional<Principal>();
  const ledger::Hash hash = ledger::Sha256(ledger::AsBytes(secret));
  auto t = store.FindToken(hash);
  if (!t.ok()) return t.status();
  if (!*t || (*t)->revoked) return std::optional<Principal>();
  auto role = RoleFromName((*t)->role);
  if (!role) return std::optional<Principal>();
  return std::optional<Principal>(
      Principal{*role, TokenId(hash), (*t)->institution, (*t)->region, (*t)->label});
}

}  // namespace ingest
