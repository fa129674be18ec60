# yt_add_gtest(NAME SOURCES a.cpp b.cpp LIBS lib1 lib2 [LABELS l])
# One test binary per folder's tests/, registered with CTest as a single test so
# the suite stays fast to enumerate; gtest prints per-case results inside it.
function(yt_add_gtest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
