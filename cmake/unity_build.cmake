# CAREBRIDGE_UNITY_BUILD: the quick start's build (deploy/local/start.sh).
# Each of our static libraries under services/ and clients/ is compiled in
# batches of CAREBRIDGE_UNITY_BATCH_SIZE sources per translation unit (0, the
# default: all of a library's sources in one), so the gRPC, protobuf and
# Abseil headers every file includes are parsed once per batch instead of
# once per file (with CAREBRIDGE_PRECOMPILED_HEADERS, cmake/
# precompiled_headers.cmake, not even that).
#
# Left out on purpose (each compiles one file at a time as always):
# - the tests, the test support libraries and the benchmark (tests/, and
#   every executable): their anonymous-namespace fixtures and helpers share
#   names, and they keep the flags they are debugged with;
# - the generated .pb.cc files: protobuf gives each file-static tables of the
#   same names (proto/CMakeLists.txt batches only the .grpc.pb.cc files).
#
# One batch is one C++ file, so two sources of one library that each define
# the same name at file scope (an anonymous-namespace helper, a `using Stub
# = ...`, a `constexpr int kMaxAttempts`) break only this build, with a
# "redefinition" error; so does `errors::X` meaning carebridge::errors in a
# batch where services/<service>/errors.h declared <service>::errors. Such
# a source is listed below: in CAREBRIDGE_UNITY_EXCLUDED it goes to a second
# batch of its library (with the library's other listed sources, which must
# not clash with each other), in CAREBRIDGE_UNITY_ALONE it compiles on its
# own; renaming the clash in the source is the other cure. The ctest
# unity_build_names (cmake/check_unity_names.py) looks for these clashes
# between any two sources of one batch (the main one taken whole, whatever
# the batch size), in every build with tests, so the test command reports
# them before the quick start fails on them. To compile the quick start's
# build itself:
#   BUILD_DIR=build-quick TARGETS="carebridge-server carectl" \
#     deploy/local/build.sh -DCMAKE_BUILD_TYPE=Release \
#     "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" -DCAREBRIDGE_UNITY_BUILD=ON \
#     -DCAREBRIDGE_PRECOMPILED_HEADERS=ON

# Sources (relative to the project root) kept out of their library's main
# batch, with the name they share with another source of their library: each
# library's listed sources form a second batch of their own.
set(CAREBRIDGE_UNITY_EXCLUDED
  # `Refused`, `Rfc3339`, `kMaxRemembered` (oidc_token.cc, token.cc,
  # token_revocations.cc)
  services/common/oidc_sign_in.cc
  # `kMaxAttempts` (referral_domain.cc)
  services/referral/referral_escalation.cc
  # `Decode` (sqlite_careplan_store.cc)
  services/careplan/sqlite_sharing_store.cc
  # `kMaxAttempts` (careplan_domain.cc)
  services/careplan/careplan_domain_events.cc
  # `Instant` (fhir_care_resources.cc)
  services/http/fhir_resources.cc
  # `kReferral` (fhir_front.cc)
  services/http/fhir_care_front.cc
  # `using Stub`, `using Method`, `Show`, `Create`, `ListFlags`: each
  # *_commands.cc's own (careplan_commands.cc's stay in the main batch)
  clients/carectl/feeds_commands.cc
  # `Word`, `Indented` (careplan_format.cc)
  clients/carectl/handover_format.cc
  # `StatusText` (careplan_update.cc)
  clients/carectl/handover_requests.cc
  # `OneLine` (careplan_format.cc)
  clients/carectl/format.cc
  # `Lookup` (config.cc)
  clients/carectl/session.cc
)

# Sources that clash with a source of the main batch and with one of the
# second (CAREBRIDGE_UNITY_EXCLUDED): each compiles on its own.
set(CAREBRIDGE_UNITY_ALONE
  # `kMaxTokenBytes` (token.cc), `Refused` (oidc_sign_in.cc)
  services/common/oidc_token.cc
  # `errors::` is carebridge::errors in it; careplan/errors.h (included by
  # others) declares careplan::errors, which would hide it
  services/careplan/careplan_person_access.cc
  # `kReferral` (fhir_front.cc, fhir_care_front.cc)
  services/http/fhir_writes.cc
  # `using Stub` and the rest, as feeds_commands.cc
  clients/carectl/handover_commands.cc
  clients/carectl/record_commands.cc
  clients/carectl/referral_commands.cc
)

# carebridge_unity_build(): call once, after every add_subdirectory. With
# CAREBRIDGE_UNITY_BUILD it turns the unity build on for the libraries; in
# any build with tests it registers unity_build_names, which finds the
# clashes above without a unity build (cmake/check_unity_names.py), so the
# development build and CI report them before the quick start trips on them.
function(carebridge_unity_build)
  set(excluded "")
  foreach(file IN LISTS CAREBRIDGE_UNITY_EXCLUDED)
    list(APPEND excluded ${PROJECT_SOURCE_DIR}/${file})
  endforeach()
  set(alone "")
  foreach(file IN LISTS CAREBRIDGE_UNITY_ALONE)
    list(APPEND alone ${PROJECT_SOURCE_DIR}/${file})
  endforeach()
  set(lists "")
  set(dirs ${PROJECT_SOURCE_DIR}/services ${PROJECT_SOURCE_DIR}/clients)
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(target IN LISTS targets)
      get_target_property(type ${target} TYPE)
      if(NOT type STREQUAL "STATIC_LIBRARY")
        continue()
      endif()
      if(CAREBRIDGE_UNITY_BUILD)
        # GROUP: the batches are the UNITY_GROUPs set below; a source
        # without one compiles on its own.
        set_target_properties(${target} PROPERTIES UNITY_BUILD ON
          UNITY_BUILD_MODE GROUP)
      endif()
      # The batches, for unity_build_names: the main one whole (the check
      # then holds at any batch size) and the second.
      get_target_property(sources ${target} SOURCES)
      set(main ${target})
      set(second "${target} (second batch)")
      set(index 0)
      foreach(source IN LISTS sources)
        if(NOT source MATCHES "\\.cc$")
          continue()
        endif()
        cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY ${dir})
        if(source IN_LIST alone)
          continue()
        elseif(source IN_LIST excluded)
          set(group ${target}_second)
          list(APPEND second ${source})
        else()
          set(group ${target}_0)
          if(CAREBRIDGE_UNITY_BATCH_SIZE GREATER 0)
            math(EXPR batch "${index} / ${CAREBRIDGE_UNITY_BATCH_SIZE}")
            set(group ${target}_${batch})
          endif()
          math(EXPR index "${index} + 1")
          list(APPEND main ${source})
        endif()
        set_source_files_properties(${source} DIRECTORY ${dir}
          PROPERTIES UNITY_GROUP ${group})
      endforeach()
      string(APPEND lists "${main}\n")
      list(LENGTH second length)
      if(length GREATER 2)
        string(APPEND lists "${second}\n")
      endif()
    endforeach()
  endwhile()
  if(CAREBRIDGE_BUILD_TESTS)
    set(lists_file ${PROJECT_BINARY_DIR}/unity_build_sources.txt)
    file(WRITE ${lists_file} "${lists}")
    add_test(NAME unity_build_names
      COMMAND /usr/bin/python3
              ${PROJECT_SOURCE_DIR}/cmake/check_unity_names.py ${lists_file})
    # The check finds each kind of clash, and passes what compiles.
    add_test(NAME unity_build_names_selftest
      COMMAND /usr/bin/python3
              ${PROJECT_SOURCE_DIR}/cmake/check_unity_names_selftest.py)
    set_tests_properties(unity_build_names unity_build_names_selftest
      PROPERTIES TIMEOUT 60 ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
  endif()
endfunction()
