
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/tests/validator/code_test.cc" "tests/CMakeFiles/test_validator.dir/validator/code_test.cc.o" "gcc" "tests/CMakeFiles/test_validator.dir/validator/code_test.cc.o.d"
  "/work/main/tests/validator/flows_test.cc" "tests/CMakeFiles/test_validator.dir/validator/flows_test.cc.o" "gcc" "tests/CMakeFiles/test_validator.dir/validator/flows_test.cc.o.d"
  "/work/main/tests/validator/refdata_test.cc" "tests/CMakeFiles/test_validator.dir/validator/refdata_test.cc.o" "gcc" "tests/CMakeFiles/test_validator.dir/validator/refdata_test.cc.o.d"
  "/work/main/tests/validator/rules_test.cc" "tests/CMakeFiles/test_validator.dir/validator/rules_test.cc.o" "gcc" "tests/CMakeFiles/test_validator.dir/validator/rules_test.cc.o.d"
  "/work/main/tests/validator/state_test.cc" "tests/CMakeFiles/test_validator.dir/validator/state_test.cc.o" "gcc" "tests/CMakeFiles/test_validator.dir/validator/state_test.cc.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/tests/CMakeFiles/dt_test_support.dir/DependInfo.cmake"
  "/work/main/CMakeFiles/dt_validator.dir/DependInfo.cmake"
  "/work/main/CMakeFiles/dt_ledger.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
