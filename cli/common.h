// Helpers shared by the subcommands: error reporting and file I/O with one-line errors.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "ledger/status.h"

namespace cli {

// Exit codes: 0 success, 1 the job failed (bad data, failed verification), 2 usage error.
inline constexpr int kExitFailure = 1;

// Prints "drugtrace: <context>: <status message>" to stderr and returns kExitFailure.
int Fail(const std::string& context, const ledger::Status& status);
int Fail(const std::string& message);

// Reads a whole file; nullopt with an error printed on failure. "-" reads standard input.
std::optional<std::string> ReadInput(const std::string& path);

std::int64_t NowMs();

// Each group of subcommands registers itself; the callback sets `exit_code`.
void RegisterLedgerCommands(CLI::App& app, int& exit_code);
void RegisterIngestCommands(CLI::App& app, int& exit_code);
void RegisterServeCommand(CLI::App& app, int& exit_code);
void RegisterUploadCommand(CLI::App& app, int& exit_code);
void RegisterRegulatorCommands(CLI::App& app, int& exit_code);
void RegisterSimulateCommand(CLI::App& app, int& exit_code);
void RegisterDemoCommand(CLI::App& app, int& exit_code);
void RegisterSuspectCommands(CLI::App& app, int& exit_code);
void RegisterBackupCommand(CLI::App& app, int& exit_code);

}  // namespace cli
