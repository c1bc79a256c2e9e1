// drugtrace: one binary, one subcommand per job. Each group of subcommands lives in its own
// cli/*.cc file and registers itself here.
#include <CLI/CLI.hpp>

#include "common.h"

int main(int argc, char** argv) {
  CLI::App app{"drugtrace: tamper-evident drug traceability ledger and validator"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  int exit_code = 0;
  cli::RegisterLedgerCommands(app, exit_code);
  cli::RegisterIngestCommands(app, exit_code);
  cli::RegisterServeCommand(app, exit_code);
  cli::RegisterUploadCommand(app, exit_code);
  cli::RegisterRegulatorCommands(app, exit_code);
  cli::RegisterSimulateCommand(app, exit_code);
  cli::RegisterDemoCommand(app, exit_code);
  cli::RegisterSuspectCommands(app, exit_code);
  cli::RegisterBackupCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
