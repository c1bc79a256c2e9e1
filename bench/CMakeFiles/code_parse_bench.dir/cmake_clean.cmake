file(REMOVE_RECURSE
  "CMakeFiles/code_parse_bench.dir/code_parse_bench.cc.o"
  "CMakeFiles/code_parse_bench.dir/code_parse_bench.cc.o.d"
  "code_parse_bench"
  "code_parse_bench.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/code_parse_bench.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
