# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# The -fno-exceptions program works, and an error that would throw aborts with
# its message.   cmake -DPROGRAM=path [-DEMULATOR=qemu...] -P check.cmake
execute_process(COMMAND ${EMULATOR} ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "containers work without exceptions")
  message(FATAL_ERROR "no_exceptions: exit ${rc}\n${out}\n${err}")
endif()
execute_process(COMMAND ${EMULATOR} ${PROGRAM} overflow RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR out MATCHES "returned")
  message(FATAL_ERROR "no_exceptions: reserve past max_size() did not abort (exit ${rc})\n${out}")
endif()
if(NOT err MATCHES "tophash: requested capacity exceeds max_size\\(\\) \\(std::length_error; exceptions are disabled\\)")
  message(FATAL_ERROR "no_exceptions: abort without the expected message:\n${err}")
endif()
message("aborted as expected: ${err}")
