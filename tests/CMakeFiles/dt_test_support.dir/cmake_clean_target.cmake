file(REMOVE_RECURSE
  "libdt_test_support.a"
)
