file(REMOVE_RECURSE
  "CMakeFiles/test_validator.dir/validator/code_test.cc.o"
  "CMakeFiles/test_validator.dir/validator/code_test.cc.o.d"
  "CMakeFiles/test_validator.dir/validator/flows_test.cc.o"
  "CMakeFiles/test_validator.dir/validator/flows_test.cc.o.d"
  "CMakeFiles/test_validator.dir/validator/refdata_test.cc.o"
  "CMakeFiles/test_validator.dir/validator/refdata_test.cc.o.d"
  "CMakeFiles/test_validator.dir/validator/rules_test.cc.o"
  "CMakeFiles/test_validator.dir/validator/rules_test.cc.o.d"
  "CMakeFiles/test_validator.dir/validator/state_test.cc.o"
  "CMakeFiles/test_validator.dir/validator/state_test.cc.o.d"
  "test_validator"
  "test_validator.pdb"
  "test_validator_tests-b12d07c.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/test_validator.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
