// drugtrace: one binary, one subcommand per job. Each subcommand lives in its own cli/*.cc file and
// registers itself here.
#include <CLI/CLI.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"drugtrace: tamper-evident drug traceability ledger and validator"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
