# PostgreSQL for tests: one throwaway cluster per ctest run
# (tests/support/pg_cluster.sh), started by the fixture `postgresql` and
# stopped after the last test that needs it. No set-up by hand; when the
# cluster cannot start, the tests that need it fail.
if(CAREBRIDGE_BUILD_TESTS)
  set(CAREBRIDGE_TEST_POSTGRESQL_DIR ${PROJECT_BINARY_DIR}/test-postgresql)
  add_test(NAME postgresql_cluster_start
    COMMAND ${PROJECT_SOURCE_DIR}/tests/support/pg_cluster.sh start
            ${CAREBRIDGE_TEST_POSTGRESQL_DIR})
  set_tests_properties(postgresql_cluster_start PROPERTIES
    FIXTURES_SETUP postgresql TIMEOUT 180)
  add_test(NAME postgresql_cluster_stop
    COMMAND ${PROJECT_SOURCE_DIR}/tests/support/pg_cluster.sh stop
            ${CAREBRIDGE_TEST_POSTGRESQL_DIR})
  set_tests_properties(postgresql_cluster_stop PROPERTIES
    FIXTURES_CLEANUP postgresql TIMEOUT 180)
endif()

# carebridge_requires_postgresql(TEST): TEST runs with the cluster up, its
# URL in the file CAREBRIDGE_TEST_POSTGRESQL_URL_FILE names
# (tests/support/pg_test_database.h reads it).
function(carebridge_requires_postgresql name)
  if(NOT CAREBRIDGE_BUILD_TESTS)
    return()
  endif()
  set_property(TEST ${name} PROPERTY FIXTURES_REQUIRED postgresql)
  set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT
    "CAREBRIDGE_TEST_POSTGRESQL_URL_FILE=${CAREBRIDGE_TEST_POSTGRESQL_DIR}/url")
endfunction()
