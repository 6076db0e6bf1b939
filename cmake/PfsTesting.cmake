# Test registration helpers. Every test gets a label (its capability) and a timeout, so that a
# hang fails fast instead of eating CI's budget.

# pfs_unit_test(NAME <n> SOURCES <...> LIBS <...> LABELS <...> [TIMEOUT s])
# A GoogleTest binary, registered test-by-test with gtest_discover_tests.
function(pfs_unit_test)
    cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 60)
    endif()
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main pfs_warnings)
    include(GoogleTest)
    # Tests are registered at configure time (from the TEST/TEST_F macros in the sources) so
    # that list-valued properties work: gtest_discover_tests in CMake 3.25 splits a LABELS
    # list apart and silently drops TIMEOUT.
    gtest_add_tests(TARGET ${T_NAME} SOURCES ${T_SOURCES} TEST_LIST added)
    set_tests_properties(${added} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# pfs_script_test(NAME <n> COMMAND <cmd...> LABELS <...> [TIMEOUT s] [RUN_SERIAL])
# A shell-driven test (MPI jobs through pfs-run, Slurm jobs). The command's exit code decides.
function(pfs_script_test)
    cmake_parse_arguments(T "RUN_SERIAL" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 120)
    endif()
    add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "PFS_BIN_DIR=${PFS_BIN_DIR};PFS_SOURCE_DIR=${CMAKE_SOURCE_DIR};OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
    if(T_RUN_SERIAL)
        set_tests_properties(${T_NAME} PROPERTIES RUN_SERIAL TRUE)
    endif()
endfunction()
