// `drugtrace backup`: an online, verified copy of a ledger (ledger/include/ledger/backup.h).
#include <iostream>

#include "common.h"
#include "ledger/backup.h"
#include "ledger/hash.h"

namespace cli {

namespace {

int RunBackup(const std::string& db, const std::string& to, bool with_keys) {
  ledger::BackupOptions opts;
  opts.with_keys = with_keys;
  auto r = ledger::Backup(db, to, opts);
  if (!r.ok()) return Fail("backup of " + db + " to " + to, r.status());
  std::cout << "backup " << to << ": " << r->verify.entries << " entries, " << r->verify.checkpoints
            << " signed checkpoints verified\n"
            << "root " << ledger::Base64Encode(r->verify.root) << "\n";
  if (r->source_checkpoint_size) {
    std::cout << "the source's latest checkpoint (size " << *r->source_checkpoint_size
              << ") is a prefix of the copy\n";
  } else {
    std::cout << "the source had no signed checkpoint yet\n";
  }
  if (r->signing_key_copied) {
    std::cout << "keys copied: " << ledger::KeyPathFor(to)
              << (r->hmac_key_copied ? " and " + ledger::HmacKeyPathFor(to) : std::string())
              << " (mode 0600; keep this backup as secret as the keys)\n";
  } else {
    std::cout << "keys not copied: back up " << ledger::KeyPathFor(db) << " and "
              << ledger::HmacKeyPathFor(db) << " separately (or use --with-keys)\n";
  }
  return 0;
}

}  // namespace

void RegisterBackupCommand(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("backup",
                                 "Copy a ledger while it is in use, then verify the copy in full");
  static std::string db, to;
  static bool with_keys = false;
  cmd->add_option("--db", db, "Ledger database to copy")->required();
  cmd->add_option("--to", to, "The copy (must not exist)")->required();
  cmd->add_flag("--with-keys", with_keys,
                "Also copy the secret signing key (<db>.key) and HMAC key (<db>.hmac)");
  cmd->callback([&] { exit_code = RunBackup(db, to, with_keys); });
}

}  // namespace cli
