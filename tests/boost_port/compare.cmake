# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# Runs programs A and B and fails unless both succeed with the same output.
execute_process(COMMAND ${A} OUTPUT_VARIABLE out_a RESULT_VARIABLE rc_a)
execute_process(COMMAND ${B} OUTPUT_VARIABLE out_b RESULT_VARIABLE rc_b)
message("tophash:\n${out_a}\nBoost:\n${out_b}")
if(NOT rc_a EQUAL 0 OR NOT rc_b EQUAL 0)
  message(FATAL_ERROR "a port failed: tophash ${rc_a}, Boost ${rc_b}")
endif()
if(NOT out_a STREQUAL out_b)
  message(FATAL_ERROR "the transcripts differ")
endif()
