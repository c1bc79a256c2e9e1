file(REMOVE_RECURSE
  "CMakeFiles/test_ingest.dir/ingest/json_schema_test.cc.o"
  "CMakeFiles/test_ingest.dir/ingest/json_schema_test.cc.o.d"
  "test_ingest"
  "test_ingest.pdb"
  "test_ingest_tests-b12d07c.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/test_ingest.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
