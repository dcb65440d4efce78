# CAREBRIDGE_PRECOMPILED_HEADERS: the headers nearly every file includes are
# parsed once, into a GCC precompiled header, instead of once per translation
# unit: the standard library's, Abseil's, gRPC's and protobuf's, and the
# generated API headers (carebridge/*/v1/*.pb.h, *.grpc.pb.h). Parsing them
# took half of a unity batch's compile (-ftime-report on the referral
# library's batch: 31 CPU-seconds without, 17 with, more of it memory and
# system time than the code generation after it).
#
# One header (target carebridge_pch) serves every library under services/
# and clients/ and the two programs; the test binaries (carebridge_test) get
# one with GoogleTest's and gMock's headers too (carebridge_test_pch). The
# users compile with the pch target's flags (REUSE_FROM): GCC refuses a
# precompiled header built with others, and -Winvalid-pch (added by CMake)
# with -Werror makes that an error rather than a quiet slow build.
#
# On in the quick start (deploy/local/start.sh) and the test command's
# sanitizer build (tests/run_all.sh); off in the development build
# (deploy/local/build.sh, SANITIZE=0 tests/run_all.sh): there every source
# must include what it uses (a header
# the precompiled one brought in would hide a missing #include), and a change
# to a .proto recompiles only what includes it. GCC's precompiled header is
# not the same bytes from one compile to the next, so ccache keeps a user's
# compile only while the header itself comes from ccache: compiles that use
# it are cached under CCACHE_SLOPPINESS=pch_defines,time_macros
# (deploy/local/build.sh sets it).

# carebridge_precompiled_headers(): call once, after every add_subdirectory.
function(carebridge_precompiled_headers)
  if(NOT CAREBRIDGE_PRECOMPILED_HEADERS)
    return()
  endif()
  set(headers
    <algorithm> <atomic> <cstdint> <functional> <map> <memory> <optional>
    <set> <string> <thread> <utility> <vector>
    <absl/container/flat_hash_map.h> <absl/container/flat_hash_set.h>
    <absl/status/status.h> <absl/status/statusor.h>
    <absl/strings/ascii.h> <absl/strings/match.h> <absl/strings/str_cat.h>
    <absl/strings/str_join.h> <absl/strings/str_split.h>
    <absl/strings/string_view.h> <absl/synchronization/mutex.h>
    <absl/time/clock.h> <absl/time/time.h>
    <grpcpp/grpcpp.h> <google/protobuf/message.h>)
  # Every generated API header, as the sources include them.
  get_target_property(proto_sources carebridge_proto SOURCES)
  foreach(source IN LISTS proto_sources)
    if(source MATCHES "(carebridge/.*\\.pb\\.h)$")
      list(APPEND headers "\"${CMAKE_MATCH_1}\"")
    endif()
  endforeach()
  # A precompiled header needs a target of its own with one source.
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/carebridge_pch.cc CONTENT "")
  set(libraries carebridge_proto gRPC::grpc++ protobuf::libprotobuf
    absl::status absl::statusor absl::strings absl::synchronization
    absl::time absl::flat_hash_map absl::flat_hash_set)
  add_library(carebridge_pch STATIC ${PROJECT_BINARY_DIR}/carebridge_pch.cc)
  target_compile_options(carebridge_pch PRIVATE ${CAREBRIDGE_WARNINGS})
  target_link_libraries(carebridge_pch PRIVATE ${libraries})
  target_precompile_headers(carebridge_pch PRIVATE ${headers})

  set(users carebridge-server carectl)
  set(dirs ${PROJECT_SOURCE_DIR}/services ${PROJECT_SOURCE_DIR}/clients)
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(type STREQUAL "STATIC_LIBRARY")
        list(APPEND users ${target})
      endif()
    endforeach()
  endwhile()
  foreach(target IN LISTS users)
    target_precompile_headers(${target} REUSE_FROM carebridge_pch)
  endforeach()

  get_property(tests GLOBAL PROPERTY CAREBRIDGE_TEST_TARGETS)
  if(CAREBRIDGE_BUILD_TESTS AND tests)
    add_library(carebridge_test_pch STATIC
      ${PROJECT_BINARY_DIR}/carebridge_pch.cc)
    # The tests' flags (CAREBRIDGE_TEST_COMPILE_OPTIONS): GCC takes a
    # precompiled header only where it was built with the same -O.
    target_compile_options(carebridge_test_pch PRIVATE ${CAREBRIDGE_WARNINGS}
      ${CAREBRIDGE_TEST_COMPILE_OPTIONS})
    target_link_libraries(carebridge_test_pch PRIVATE ${libraries}
      GTest::gtest GTest::gmock)
    target_precompile_headers(carebridge_test_pch PRIVATE ${headers}
      <gtest/gtest.h> <gmock/gmock.h>)
    foreach(target IN LISTS tests)
      target_precompile_headers(${target} REUSE_FROM carebridge_test_pch)
    endforeach()
  endif()
endfunction()
