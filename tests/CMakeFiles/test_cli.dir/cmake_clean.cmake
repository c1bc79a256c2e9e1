file(REMOVE_RECURSE
  "CMakeFiles/test_cli.dir/cli/ledger_cli_test.cc.o"
  "CMakeFiles/test_cli.dir/cli/ledger_cli_test.cc.o.d"
  "test_cli"
  "test_cli.pdb"
  "test_cli_tests-b12d07c.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/test_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
