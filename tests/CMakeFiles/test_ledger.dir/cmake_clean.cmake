file(REMOVE_RECURSE
  "CMakeFiles/test_ledger.dir/ledger/checkpoint_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/checkpoint_test.cc.o.d"
  "CMakeFiles/test_ledger.dir/ledger/hash_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/hash_test.cc.o.d"
  "CMakeFiles/test_ledger.dir/ledger/ledger_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/ledger_test.cc.o.d"
  "CMakeFiles/test_ledger.dir/ledger/merkle_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/merkle_test.cc.o.d"
  "CMakeFiles/test_ledger.dir/ledger/note_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/note_test.cc.o.d"
  "CMakeFiles/test_ledger.dir/ledger/verify_test.cc.o"
  "CMakeFiles/test_ledger.dir/ledger/verify_test.cc.o.d"
  "test_ledger"
  "test_ledger.pdb"
  "test_ledger_tests-b12d07c.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/test_ledger.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
