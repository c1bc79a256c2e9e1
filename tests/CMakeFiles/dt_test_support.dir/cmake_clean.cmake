file(REMOVE_RECURSE
  "CMakeFiles/dt_test_support.dir/support/catch_main.cc.o"
  "CMakeFiles/dt_test_support.dir/support/catch_main.cc.o.d"
  "CMakeFiles/dt_test_support.dir/support/ledger_fixture.cc.o"
  "CMakeFiles/dt_test_support.dir/support/ledger_fixture.cc.o.d"
  "CMakeFiles/dt_test_support.dir/support/process.cc.o"
  "CMakeFiles/dt_test_support.dir/support/process.cc.o.d"
  "CMakeFiles/dt_test_support.dir/support/temp_dir.cc.o"
  "CMakeFiles/dt_test_support.dir/support/temp_dir.cc.o.d"
  "libdt_test_support.a"
  "libdt_test_support.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/dt_test_support.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
