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

# carebridge_test_on_postgresql(TEST [GTEST_FILTER F]): TEST also runs as
# TEST_postgresql, the same binary with CAREBRIDGE_TEST_DATABASE=postgresql,
# so what it stores goes to the test cluster (tests/support/test_database.h)
# instead of SQLite files: the suite runs against both engines.
# GTEST_FILTER leaves out the cases only SQLite has (e.g. `-*SqliteFile*`).
function(carebridge_test_on_postgresql name)
  if(NOT CAREBRIDGE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "GTEST_FILTER" "" ${ARGN})
  get_test_property(${name} TIMEOUT timeout)
  # A carebridge_test: the test runs the binary of the same name.
  set(command ${name})
  if(ARG_GTEST_FILTER)
    list(APPEND command "--gtest_filter=${ARG_GTEST_FILTER}")
  endif()
  add_test(NAME ${name}_postgresql COMMAND ${command})
  set_tests_properties(${name}_postgresql PROPERTIES
    TIMEOUT ${timeout}
    LABELS postgresql
    ENVIRONMENT "CAREBRIDGE_TEST_DATABASE=postgresql")
  carebridge_requires_postgresql(${name}_postgresql)
endfunction()
