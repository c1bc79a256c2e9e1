file(REMOVE_RECURSE
  "CMakeFiles/ledger_bench.dir/ledger_bench.cc.o"
  "CMakeFiles/ledger_bench.dir/ledger_bench.cc.o.d"
  "ledger_bench"
  "ledger_bench.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/ledger_bench.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
