file(REMOVE_RECURSE
  "CMakeFiles/validate_bench.dir/validate_bench.cc.o"
  "CMakeFiles/validate_bench.dir/validate_bench.cc.o.d"
  "validate_bench"
  "validate_bench.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/validate_bench.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
